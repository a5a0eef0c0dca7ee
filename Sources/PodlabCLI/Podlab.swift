import ArgumentParser
public struct Podlab: AsyncParsableCommand { public init() {}; public func run() async throws {} }
