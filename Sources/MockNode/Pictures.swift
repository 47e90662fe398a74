import Foundation
import PexipWire

/// The pictures `layout_svgs` answers: one small SVG per layout id, drawn by MockMCU (a main
/// tile and, for "<big>:<small>" ids, a row of small ones), for pickers to show.
enum LayoutSVG {
    /// `participants/<uuid>/avatar.jpg`: a 1×1 mid-grey baseline JPEG, 141 bytes (MockMCU has no
    /// pictures of anyone; Chromium decodes it).
    static let avatarJPEG: [UInt8] = Array(Data(base64Encoded:
        "/9j/2wBDAAEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQH/wAALCAABAAEBAREA/8QAFAABAAAAAAAAAAAAAAAAAAAAAP/EABQQAQAAAAAAAAAAAAAAAAAAAAD/2gAIAQEAAD8AP//Z")
        ?? Data())

    /// The `layout_svgs` result: id → picture, in the order of `available_layouts`.
    struct Pictures: Codable, Sendable, WireEncodable {
        let ids: [String]

        init(ids: [String]) { self.ids = ids }

        init(from decoder: Decoder) throws {
            ids = try decoder.singleValueContainer().decode([String: String].self).keys.sorted()
        }

        func encode(to encoder: Encoder) throws {
            var c = encoder.singleValueContainer()
            try c.encode(Dictionary(ids.map { ($0, LayoutSVG.picture(of: $0)) }, uniquingKeysWith: { a, _ in a }))
        }

        func write(to w: inout JSONWriter) {
            var seen = Set<String>()
            w.object { w in
                for id in ids where seen.insert(id).inserted { w.field(id, LayoutSVG.picture(of: id)) }
            }
        }
    }

    static func picture(of id: String) -> String {
        let parts = id.split(separator: ":").compactMap { Int($0) }
        let big = parts.count == 2 ? max(1, min(parts[0], 25)) : 1
        let small = parts.count == 2 ? min(parts[1], 33) : 0
        var rects = ["<rect x='0.5' y='0.5' width='139' height='87' rx='3.5' fill='currentColor' stroke='#BBBFC3'></rect>"]
        let columns = Int(Double(big).squareRoot().rounded(.up))
        let rows = (big + columns - 1) / columns
        let height = small > 0 ? 54.0 : 80.0
        for i in 0..<big {
            let w = 132.0 / Double(columns), h = height / Double(rows)
            let x = 4 + Double(i % columns) * w, y = 4 + Double(i / columns) * h
            rects.append("<rect x='\(x)' y='\(y)' width='\(w - 2)' height='\(h - 2)' rx='2' fill='#BBBFC3'></rect>")
        }
        for i in 0..<min(small, 7) {
            rects.append("<rect x='\(4 + Double(i) * 19)' y='62' width='18' height='14' rx='2' fill='#BBBFC3'></rect>")
        }
        return "<svg width='140' height='88' viewBox='0 0 140 88' fill='none' xmlns='http://www.w3.org/2000/svg'>\n"
            + rects.joined(separator: "\n") + "\n</svg>"
    }
}
