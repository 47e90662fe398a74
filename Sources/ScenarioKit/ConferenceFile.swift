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

    /// Decodes a list node of conferences with line-numbered errors (also used by scenario files).
    public static func conferences(in list: Node, doc: YAMLDocument) throws -> [ConferenceConfig] {
        guard let items = list.sequence else { throw doc.error("'conferences' should be a list of conferences", at: list) }
        guard !items.isEmpty else { throw doc.error("'conferences' is empty: define at least one", at: list) }
        var seen: [String: Int] = [:]
        var out: [ConferenceConfig] = []
        for item in items {
            guard item.mapping != nil else { throw doc.error("each conference should be a mapping with an alias", at: item) }
            try doc.checkKeys(of: item, allowed: ConferenceConfig.CodingKeys.allCases.map(\.rawValue), context: "a conference")
            if let present = doc.value("participants", in: item)?.value.sequence {
                for p in present {
                    try doc.checkKeys(of: p, allowed: ConferenceConfig.Present.CodingKeys.allCases.map(\.rawValue),
                                      context: "a participant")
                }
            }
            let config = try doc.decode(ConferenceConfig.self, at: item)
            if let problem = config.problems().first {
                let at = doc.value(problem.key.rawValue, in: item)?.key ?? item
                throw doc.error("conference '\(config.alias)': \(problem.message)", at: at)
            }
            let key = config.alias.lowercased()
            if let first = seen[key] {
                throw doc.error("alias '\(config.alias)' is defined twice (first on line \(first))",
                                at: doc.value("alias", in: item)?.key ?? item)
            }
            seen[key] = item.mark?.line ?? 0
            out.append(config)
        }
        try checkReceptionTargets(out, items: Array(items), doc: doc)
        return out
    }

    private static func checkReceptionTargets(_ configs: [ConferenceConfig], items: [Node], doc: YAMLDocument) throws {
        let aliases = Set(configs.filter { $0.type != .reception }.map { $0.alias.lowercased() })
        for (config, item) in zip(configs, items) where config.type == .reception {
            for target in config.targets where !aliases.contains(target.lowercased()) {
                throw doc.error("reception '\(config.alias)' targets '\(target)', which is not a conference in this file",
                                at: doc.value("targets", in: item)?.key ?? item)
            }
        }
    }
}
