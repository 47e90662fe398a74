import Foundation
import Yams

/// A problem in a YAML file, located by line: `file:line: message`.
/// Several problems of one file, in line order (what `check` reports).
public struct YAMLFileErrors: Error, CustomStringConvertible, Equatable {
    public let problems: [YAMLFileError]

    /// `problems` sorted by line (those without one first), or nil when there are none.
    public init?(_ problems: [YAMLFileError]) {
        guard !problems.isEmpty else { return nil }
        self.problems = problems.enumerated().sorted { a, b in
            (a.element.line ?? 0, a.offset) < (b.element.line ?? 0, b.offset)
        }.map(\.element)
    }

    public var description: String { problems.map(\.description).joined(separator: "\n") }

    /// Runs `body`, adding what it throws (one problem or several) to `problems`; nil if it threw.
    public static func collect<T>(_ problems: inout [YAMLFileError], _ body: () throws -> T) -> T? {
        do {
            return try body()
        } catch let e as YAMLFileError {
            problems.append(e)
        } catch let e as YAMLFileErrors {
            problems += e.problems
        } catch {
            problems.append(YAMLFileError(file: "", line: nil, message: "\(error)"))
        }
        return nil
    }
}

public struct YAMLFileError: Error, CustomStringConvertible, Equatable {
    public let file: String
    public let line: Int?
    public let message: String

    public init(file: String, line: Int?, message: String) {
        self.file = file
        self.line = line
        self.message = message
    }

    /// `file:line: message`, with control characters shown escaped (`\u{1b}`), never raw on a terminal.
    public var description: String {
        let text = Self.printable(message)
        if let line { return "\(Self.printable(file)):\(line): \(text)" }
        return "\(Self.printable(file)): \(text)"
    }

    /// `text` with C0 and C1 control characters (and DEL) written as `\u{…}`.
    public static func printable(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isControl) else { return text }
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if isControl(scalar) {
                out.append(contentsOf: "\\u{\(String(scalar.value, radix: 16))}".unicodeScalars)
            } else {
                out.append(scalar)
            }
        }
        return String(out)
    }

    private static func isControl(_ s: Unicode.Scalar) -> Bool { s.value < 0x20 || (0x7F...0x9F).contains(s.value) }
}

/// A parsed YAML file that keeps line numbers, so that every error about
/// its content can point at the line to fix.
public struct YAMLDocument {
    public let file: String
    public let root: Node
    /// SHA-256 of the text, as hex.
    public let contentHash: String

    /// Parses `text`; syntax errors carry their line.
    public init(text: String, file: String) throws {
        self.file = file
        contentHash = ContentHash.sha256(text.utf8)
        do {
            guard let node = try Yams.compose(yaml: text) else {
                throw YAMLFileError(file: file, line: nil, message: "the file is empty")
            }
            root = node
        } catch let error as YamlError {
            throw YAMLDocument.translate(error, file: file)
        }
    }

    /// Yams names a duplicated key but not where it is: find the line that repeats it
    /// within one mapping (same column, no line of an outer level or new list item between).
    static func duplicateKeyError(_ keys: [String], in text: String, file: String) -> YAMLFileError {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        // (column where the content starts, column of its key if it is `key:` after any `- ` markers)
        func shape(_ line: String) -> (content: Int, key: String?, keyColumn: Int)? {
            let chars = Array(line)
            var i = 0
            while i < chars.count, chars[i] == " " { i += 1 }
            guard i < chars.count, chars[i] != "#" else { return nil }
            let content = i
            while i + 1 < chars.count, chars[i] == "-", chars[i + 1] == " " {
                i += 2
                while i < chars.count, chars[i] == " " { i += 1 }
            }
            let rest = String(chars[i...])
            guard let colon = rest.firstIndex(of: ":") else { return (content, nil, i) }
            var key = String(rest[..<colon]).trimmingCharacters(in: .whitespaces)
            if key.count >= 2, let q = key.first, q == "\"" || q == "'", key.last == q { key = String(key.dropFirst().dropLast()) }
            return (content, key, i)
        }
        let shapes = lines.map(shape)
        for name in keys {
            for (first, s) in shapes.enumerated() {
                guard let s, s.key == name else { continue }
                for later in (first + 1)..<max(first + 1, shapes.count) {
                    guard let t = shapes[later] else { continue }
                    if t.key == name && t.keyColumn == s.keyColumn && t.content == t.keyColumn {
                        return YAMLFileError(file: file, line: later + 1, message: "key '\(name)' appears twice in one mapping (first on line \(first + 1))")
                    }
                    // Left the mapping: an outer line, or a new item of the list it is in.
                    if t.content < s.keyColumn || (t.content < t.keyColumn && t.keyColumn <= s.keyColumn) { break }
                }
            }
        }
        let names = keys.map { "'\($0)'" }.joined(separator: ", ")
        return YAMLFileError(file: file, line: nil, message: "a key appears twice in one mapping: \(names)")
    }

    /// Reads and parses a file.
    public init(contentsOf path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw YAMLFileError(file: path, line: nil, message: "cannot read the file (does it exist?)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw YAMLFileError(file: path, line: nil, message: "the file is not UTF-8 text")
        }
        try self.init(text: text, file: path)
    }

    static func translate(_ error: YamlError, file: String) -> YAMLFileError {
        switch error {
        case .reader(let problem, let offset, let value, let yaml):
            // libyaml's offset counts bytes; the file is not echoed (the line is enough).
            let line = offset.map { o in yaml.utf8.prefix(max(0, o)).reduce(1) { $1 == 10 ? $0 + 1 : $0 } }
            let character = value >= 0 ? String(format: " (U+%04X)", value) : ""
            return YAMLFileError(file: file, line: line, message: "YAML syntax: \(problem)\(character)")
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _),
             .composer(_, let problem, let mark, _):
            return YAMLFileError(file: file, line: mark.line, message: "YAML syntax: \(problem)")
        case .duplicatedKeysInMapping(let keys, let context):
            return duplicateKeyError(keys, in: context.text, file: file)
        default:
            return YAMLFileError(file: file, line: nil, message: "YAML syntax: \(error)")
        }
    }

    /// An error at `node`'s line.
    public func error(_ message: String, at node: Node?) -> YAMLFileError {
        YAMLFileError(file: file, line: node?.mark?.line, message: message)
    }

    /// The node a decoding path leads to (as far as it exists).
    public func node(at path: [CodingKey], from start: Node? = nil) -> Node? {
        var current = start ?? root
        for key in path {
            if let index = key.intValue, let seq = current.sequence {
                guard index < seq.count else { return current }
                current = seq[index]
            } else if let map = current.mapping {
                guard let next = map.first(where: { $0.key.string == key.stringValue }) else { return current }
                current = next.value
            } else {
                return current
            }
        }
        return current
    }

    /// The value node of `key` in a mapping node, and the key node itself (for its line).
    public func value(_ key: String, in node: Node) -> (key: Node, value: Node)? {
        node.mapping?.first { $0.key.string == key }.map { ($0.key, $0.value) }
    }

    /// Decodes `node` (default: the root) as `T`; decoding errors point at their line.
    public func decode<T: Decodable>(_ type: T.Type, at node: Node? = nil, what: String = "value") throws -> T {
        let start = node ?? root
        do {
            return try YAMLDecoder().decode(T.self, from: start)
        } catch let DecodingError.keyNotFound(key, ctx) {
            throw error("missing required key '\(key.stringValue)'", at: self.node(at: ctx.codingPath, from: start))
        } catch let DecodingError.typeMismatch(expected, ctx) {
            let n = self.node(at: ctx.codingPath, from: start)
            let got = n?.scalar.map { " (got '\($0.string)')" } ?? ""
            throw error("\(Self.describe(ctx.codingPath)) should be \(Self.typeWord(expected))\(got)", at: n)
        } catch let DecodingError.valueNotFound(expected, ctx) {
            throw error("\(Self.describe(ctx.codingPath)) should be \(Self.typeWord(expected)), not empty",
                        at: self.node(at: ctx.codingPath, from: start))
        } catch let DecodingError.dataCorrupted(ctx) {
            let n = self.node(at: ctx.codingPath, from: start)
            let value = n?.string.map { " '\($0)'" } ?? ""
            throw error("\(Self.describe(ctx.codingPath)) has an invalid value\(value): \(ctx.debugDescription)", at: n)
        } catch let e as YamlError {
            throw YAMLDocument.translate(e, file: file)
        }
    }

    /// Fails on keys of a mapping node that are not in `allowed`, suggesting the nearest one.
    public func checkKeys(of node: Node, allowed: [String], context: String) throws {
        if let first = keyProblems(of: node, allowed: allowed, context: context).first { throw first }
    }

    /// Every unknown key of a mapping, in order, each with its suggestion.
    public func keyProblems(of node: Node, allowed: [String], context: String) -> [YAMLFileError] {
        guard let map = node.mapping else { return [] }
        return map.compactMap { key, _ in
            let name = key.string ?? "?"
            guard !allowed.contains(name) else { return nil }
            var message = "unknown key '\(name)' in \(context)"
            if let near = Self.nearest(name, among: allowed) { message += " (did you mean '\(near)'?)" }
            message += "; allowed: \(allowed.sorted().joined(separator: ", "))"
            return error(message, at: key)
        }
    }

    static func describe(_ path: [CodingKey]) -> String {
        let parts = path.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
        let joined = parts.reduce("") { acc, p in p.hasPrefix("[") ? acc + p : (acc.isEmpty ? p : acc + "." + p) }
        return joined.isEmpty ? "the value" : "'\(joined)'"
    }

    static func typeWord(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: return "text"
        case is Int.Type: return "a whole number"
        case is Double.Type: return "a number"
        case is Bool.Type: return "true or false"
        case is [Any].Type: return "a list"
        default:
            let name = "\(type)"
            if name.hasPrefix("Array") { return "a list" }
            if name.hasPrefix("Dictionary") { return "a mapping" }
            return "a valid \(name)"
        }
    }

    /// The candidate closest to `word` by edit distance, if close enough to be a typo.
    public static func nearest(_ word: String, among candidates: [String]) -> String? {
        let scored = candidates.map { ($0, editDistance(word.lowercased(), $0.lowercased())) }
        guard let best = scored.min(by: { $0.1 < $1.1 }) else { return nil }
        return best.1 <= max(2, word.count / 3) ? best.0 : nil
    }

    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var prev = Array(0...b.count)
        for i in 1...a.count {
            var row = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                row[j] = min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            prev = row
        }
        return prev[b.count]
    }
}
