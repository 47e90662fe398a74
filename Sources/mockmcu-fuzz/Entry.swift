import Foundation

// Built two ways. Normally (`swift build`): a replay tool (`@main` below),
//   mockmcu-fuzz HARNESS FILE|DIR…
// runs each input once through the harness (the tests replay the seed corpus so).
// With `-sanitize=fuzzer -DFUZZING -parse-as-library` (Scripts/fuzz.sh): a libFuzzer
// target; MOCKMCU_FUZZ names the harness.

#if FUZZING
nonisolated(unsafe) let fuzzHarness: Harness = {
    guard let name = ProcessInfo.processInfo.environment["MOCKMCU_FUZZ"], let h = Harness(rawValue: name) else {
        fatalError("set MOCKMCU_FUZZ to one of \(Harness.allCases.map(\.rawValue).joined(separator: ", "))")
    }
    return h
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    fuzzHarness.run(size == 0 || data == nil ? [] : Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}
#else
@main
enum ReplayTool {
    static func main() {
        let arguments = Array(CommandLine.arguments.dropFirst())
        guard let name = arguments.first, let harness = Harness(rawValue: name), arguments.count > 1 else {
            FileHandle.standardError.write(Data("usage: mockmcu-fuzz \(Harness.allCases.map(\.rawValue).joined(separator: "|")) FILE|DIR…\n".utf8))
            exit(2)
        }
        var inputs: [String] = []
        for path in arguments.dropFirst() {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                FileHandle.standardError.write(Data("mockmcu-fuzz: no such file or directory: \(path)\n".utf8))
                exit(2)
            }
            if isDirectory.boolValue {
                let files = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
                inputs += files.sorted().map { "\(path)/\($0)" }
            } else {
                inputs.append(path)
            }
        }
        for path in inputs {
            guard let data = FileManager.default.contents(atPath: path) else { continue }
            harness.run(Array(data))
        }
        print("\(harness.rawValue): \(inputs.count) input(s), no crash")
    }
}
#endif
