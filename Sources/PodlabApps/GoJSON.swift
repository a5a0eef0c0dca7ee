/// JSON text as Go's `encoding/json` writes it (httpenv and whoami are Go programs): HTML-safe escapes for
/// `<`, `>` and `&`, `\u2028`/`\u2029` escaped, object keys sorted bytewise as `json.Marshal` sorts map keys.
enum GoJSON {
    /// `value` as a quoted JSON string; `htmlSafe: false` escapes only what JSON requires, as
    /// JavaScript's `JSON.stringify` does.
    static func quoted(_ value: String, htmlSafe: Bool = true) -> String {
        var out = "\""
        out.reserveCapacity(value.utf8.count + 2)
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            case "<", ">", "&", "\u{2028}", "\u{2029}":
                if htmlSafe { out += unicodeEscape(scalar.value) } else { out.unicodeScalars.append(scalar) }
            default:
                if scalar.value < 0x20 { out += unicodeEscape(scalar.value) } else { out.unicodeScalars.append(scalar) }
            }
        }
        out += "\""
        return out
    }

    /// A JSON object of string values with keys in Go's map order, compact like `json.Marshal`.
    static func object(_ map: [String: String]) -> String {
        let keys = map.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        var out = "{"
        for (i, key) in keys.enumerated() {
            if i > 0 { out += "," }
            out += quoted(key) + ":" + quoted(map[key] ?? "")
        }
        return out + "}"
    }

    private static func unicodeEscape(_ value: UInt32) -> String {
        let hex = String(value, radix: 16)
        return "\\u" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
    }
}
