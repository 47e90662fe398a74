import MockNode
import Yams

/// Conference files: YAML with a `conferences:` list (or just the list),
/// each item a `ConferenceConfig` in snake_case. Every error names the line.
///
/// ```yaml
/// conferences:
///   - alias: meet
///   - alias: secure
///     host_pin: "1234"
///     guest_pin: "5678"
/// ```
public enum ConferenceFile {
    /// Loads and validates a conference file.
    public static func load(path: String) throws -> [ConferenceConfig] {
        try load(YAMLDocument(contentsOf: path))
    }

    /// Loads and validates conference YAML text (`file` names it in errors).
    public static func load(text: String, file: String = "<conferences>") throws -> [ConferenceConfig] {
        try load(YAMLDocument(text: text, file: file))
    }

    /// Validates and decodes the conferences of a parsed document.
    public static func load(_ doc: YAMLDocument) throws -> [ConferenceConfig] {
        let list: Node
        if doc.root.sequence != nil {
            list = doc.root
        } else if doc.root.mapping != nil {
            try doc.checkKeys(of: doc.root, allowed: ["conferences"], context: "the top level")
            guard let entry = doc.value("conferences", in: doc.root) else {
                throw doc.error("expected a 'conferences:' list", at: doc.root)
            }
            list = entry.value
        } else {
            throw doc.error("expected a 'conferences:' list", at: doc.root)
        }
        return try conferences(in: list, doc: doc)
    }

    /// Decodes a list node of conferences with line-numbered errors (also used by scenario files):
    /// every problem of every conference, in line order (`YAMLFileErrors`), not just the first.
    public static func conferences(in list: Node, doc: YAMLDocument) throws -> [ConferenceConfig] {
        guard let items = list.sequence else { throw doc.error("'conferences' should be a list of conferences", at: list) }
        guard !items.isEmpty else { throw doc.error("'conferences' is empty: define at least one", at: list) }
        var seen: [String: Int] = [:]
        var out: [ConferenceConfig] = []
        var decoded: [Node] = []
        var problems: [YAMLFileError] = []
        let keys = ConferenceConfig.CodingKeys.allCases.map(\.rawValue)
        for item in items {
            guard item.mapping != nil else {
                problems.append(doc.error("each conference should be a mapping with an alias", at: item))
                continue
            }
            // Aliases are compared even for a conference with other problems.
            if let alias = doc.value("alias", in: item), let word = alias.value.string {
                if let first = seen[word.lowercased()] {
                    problems.append(doc.error("alias '\(word)' is defined twice (first on line \(first))", at: alias.key))
                } else {
                    seen[word.lowercased()] = item.mark?.line ?? 0
                }
            }
            var own = doc.keyProblems(of: item, allowed: keys, context: "a conference")
            if let present = doc.value("participants", in: item)?.value.sequence {
                for p in present {
                    own += doc.keyProblems(of: p, allowed: ConferenceConfig.Present.CodingKeys.allCases.map(\.rawValue),
                                           context: "a participant")
                }
            }
            var skip = Set((item.mapping ?? [:]).compactMap { $0.key.string }.filter { !keys.contains($0) })
            if let type = doc.value("type", in: item), let word = type.value.string,
               ConferenceConfig.Kind(rawValue: word) == nil {
                let kinds = ConferenceConfig.Kind.allCases.map(\.rawValue)
                let near = YAMLDocument.nearest(word, among: kinds).map { "; did you mean '\($0)'?" } ?? ""
                own.append(doc.error("'type' must be \(kinds.dropLast().joined(separator: ", ")) or \(kinds.last!) (got '\(word)'\(near))",
                                     at: type.value))
                skip.insert("type")
            }
            problems += own
            // The rest is still read, without what was already found wrong, for its own problems.
            let rest = skip.isEmpty ? item
                : Node.mapping(Node.Mapping((item.mapping ?? [:]).filter { !skip.contains($0.key.string ?? "") }))
            guard let config = YAMLFileErrors.collect(&problems, { try doc.decode(ConferenceConfig.self, at: rest) }) else { continue }
            if !own.isEmpty { continue }
            for problem in config.problems() {
                let at = doc.value(problem.key.rawValue, in: item)?.key ?? item
                problems.append(doc.error("conference '\(config.alias)': \(problem.message)", at: at))
            }
            out.append(config)
            decoded.append(item)
        }
        _ = YAMLFileErrors.collect(&problems) { try checkReceptionTargets(out, items: decoded, doc: doc) }
        if let all = YAMLFileErrors(problems) { throw all.problems.count == 1 ? all.problems[0] as Error : all }
        return out
    }

    private static func checkReceptionTargets(_ configs: [ConferenceConfig], items: [Node], doc: YAMLDocument) throws {
        let aliases = Set(configs.filter { $0.type != .reception }.map { $0.alias.lowercased() })
        var problems: [YAMLFileError] = []
        for (config, item) in zip(configs, items) where config.type == .reception {
            for target in config.targets where !aliases.contains(target.lowercased()) {
                problems.append(doc.error("reception '\(config.alias)' targets '\(target)', which is not a conference in this file",
                                          at: doc.value("targets", in: item)?.key ?? item))
            }
        }
        if let all = YAMLFileErrors(problems) { throw all }
    }
}
