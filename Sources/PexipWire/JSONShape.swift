extension JSONValue {
    /// The JSON type's name: null, bool, number, string, array, object.
    public var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "bool"
        case .number: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }

    /// Where this value fails to have `reference`'s shape: every key of every
    /// object in `reference` present here with the same JSON type (arrays
    /// compared by their first elements). Extra keys here are fine, as
    /// Pexip's decoders ignore them. Empty when the shape matches.
    public func shapeDifferences(from reference: JSONValue, path: String = "$") -> [String] {
        switch (reference, self) {
        case (.object(let ref), .object(let mine)):
            var out: [String] = []
            for key in ref.keys.sorted() {
                guard let value = mine[key] else {
                    out.append("\(path).\(key): missing")
                    continue
                }
                out += value.shapeDifferences(from: ref[key]!, path: "\(path).\(key)")
            }
            return out
        case (.array(let ref), .array(let mine)):
            guard let r = ref.first, let m = mine.first else { return [] }
            return m.shapeDifferences(from: r, path: "\(path)[0]")
        default:
            return reference.typeName == typeName ? [] : ["\(path): \(typeName) where the reference has \(reference.typeName)"]
        }
    }
}
