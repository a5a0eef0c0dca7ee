/// The name alphabet and hashes Kubernetes uses for generated names and pod-template-hash.
public enum SafeEncoding {
    /// apimachinery `util/rand` alphanums: no vowels (no accidental words) and no 0/1/3 (no look-alikes).
    static let alphabet: [Character] = Array("bcdfghjklmnpqrstvwxz2456789")

    /// Upstream `rand.SafeEncodeString`: each byte of `s` picks `alphabet[byte % 27]`.
    public static func encode(_ s: String) -> String {
        String(s.utf8.map { alphabet[Int($0) % alphabet.count] })
    }

    /// `length` random characters of the alphabet (upstream `rand.String`).
    static func randomString(length: Int, rng: inout some RandomNumberGenerator) -> String {
        String((0..<length).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] })
    }

    /// FNV-1a, 32 bit, over `bytes` (Go's `hash/fnv.New32a`).
    public static func fnv32a(_ bytes: some Sequence<UInt8>) -> UInt32 {
        var h: UInt32 = 2_166_136_261
        for b in bytes {
            h ^= UInt32(b)
            h = h &* 16_777_619
        }
        return h
    }

    /// The pod-template-hash of a Deployment's pod template (upstream `controller.ComputeHash`).
    ///
    /// Upstream hashes Go's `DeepHashObject` dump of the template, a byte format that cannot be reproduced
    /// outside Go; podlab hashes the template's canonical JSON (sorted keys) instead, then appends
    /// `collisionCount` as 4 little-endian bytes as upstream does, and renders the decimal value of the
    /// 32-bit FNV-1a sum with `encode`. So hashes look like upstream's (`5d4b8c7f9`) but differ in value.
    public static func podTemplateHash(_ template: JSONValue, collisionCount: Int?) -> String {
        var bytes = template.serialized()
        if let c = collisionCount {
            let u = UInt32(truncatingIfNeeded: c)
            bytes += [UInt8(u & 0xff), UInt8((u >> 8) & 0xff), UInt8((u >> 16) & 0xff), UInt8(u >> 24)]
        }
        return encode(String(fnv32a(bytes)))
    }
}
