import MockNode
import PexipWire
import Yams

/// Typed reads from a scenario's YAML nodes; every failure names the line.
struct YAMLReader {
    let doc: YAMLDocument

    func error(_ message: String, at node: Node?) -> YAMLFileError { doc.error(message, at: node) }

    /// The entries of a mapping node, after checking its keys against `allowed`.
    func mapping(_ node: Node, what: String, allowed: [String]) throws -> [(key: String, keyNode: Node, value: Node)] {
        guard let map = node.mapping else { throw error("\(what) should be a mapping (key: value)", at: node) }
        try doc.checkKeys(of: node, allowed: allowed, context: what)
        return map.map { ($0.key.string ?? "", $0.key, $0.value) }
    }

    /// The one `key: value` pair of a single-key mapping (`- emit: {...}`), or a bare word (`- left`).
    func single(_ node: Node, what: String, allowed: [String]) throws -> (key: String, keyNode: Node, value: Node?) {
        if let word = node.scalar?.string, node.scalar?.style == .plain {
            try checkWord(word, at: node, what: what, allowed: allowed)
            return (word, node, nil)
        }
        guard let map = node.mapping, map.count == 1, let (k, v) = map.first, let key = k.string else {
            throw error("each \(what) should be one 'name: parameters' pair; allowed names: \(allowed.joined(separator: ", "))",
                        at: node)
        }
        try checkWord(key, at: k, what: what, allowed: allowed)
        return (key, k, v)
    }

    private func checkWord(_ word: String, at node: Node, what: String, allowed: [String]) throws {
        guard !allowed.contains(word) else { return }
        var message = "unknown \(what) '\(word)'"
        if let near = YAMLDocument.nearest(word, among: allowed) { message += " (did you mean '\(near)'?)" }
        throw error(message + "; allowed: \(allowed.joined(separator: ", "))", at: node)
    }

    func string(_ node: Node, what: String) throws -> String {
        guard let s = node.scalar?.string, node.tag.rawValue != Tag.Name.null.rawValue else { throw error("\(what) should be text", at: node) }
        return s
    }

    /// A number within `limit` (by default a time in a scenario: 0 to a day).
    func number(_ node: Node, what: String, limit: Limit = Limits.scenarioTime) throws -> Double {
        guard let s = node.scalar?.string, let x = Double(s) else {
            throw error("\(what) should be a number", at: node)
        }
        if let problem = limit.problem(x, what) { throw error(problem, at: node) }
        return x
    }

    /// A whole number from `minimum` to `maximum` (by default the largest count, `Limits.count`).
    func integer(_ node: Node, what: String, minimum: Int = 0, maximum: Int = Int(Limits.count.range.upperBound)) throws -> Int {
        guard let s = node.scalar?.string, let x = Int(s) else { throw error("\(what) should be a whole number", at: node) }
        let limit = Limit(Double(minimum)...Double(max(minimum, maximum)), unit: "")
        if let problem = limit.problem(x, what) { throw error(problem, at: node) }
        return x
    }

    func bool(_ node: Node, what: String) throws -> Bool {
        guard let b = node.bool else { throw error("\(what) should be true or false", at: node) }
        return b
    }

    func list(_ node: Node, what: String) throws -> [Node] {
        guard let items = node.sequence else { throw error("\(what) should be a list", at: node) }
        return Array(items)
    }

    func strings(_ node: Node, what: String) throws -> [String] {
        try list(node, what: what).map { try string($0, what: "each item of \(what)") }
    }

    /// Any YAML value as JSON: quoted scalars stay text, plain ones become numbers, booleans or null as YAML reads them.
    func json(_ node: Node) throws -> JSONValue {
        switch node {
        case .scalar(let s):
            switch node.tag.rawValue {
            case Tag.Name.null.rawValue: return .null
            case Tag.Name.bool.rawValue: return .bool(node.bool ?? false)
            case Tag.Name.int.rawValue, Tag.Name.float.rawValue:
                guard let x = Double(s.string.replacingOccurrences(of: "_", with: "")), x.isFinite else {
                    throw error("'\(s.string)' is not a number JSON can hold", at: node)
                }
                return .number(x)
            default: return .string(s.string)
            }
        case .sequence(let seq): return .array(try seq.map { try json($0) })
        case .mapping(let map):
            var o: [String: JSONValue] = [:]
            for (k, v) in map {
                guard let key = k.string else { throw error("JSON object keys must be text", at: k) }
                o[key] = try json(v)
            }
            return .object(o)
        case .alias:
            throw error("YAML aliases are not supported here", at: node)
        }
    }
}
