import PexipWire
import XCTest

final class JSONParserTests: XCTestCase {
    func testValidDocuments() {
        XCTAssertEqual(JSONValue.parse(#"{"a":[1,-2.5e3,true,false,null],"b":{"c":"d"}}"#),
                       ["a": [.number(1), .number(-2500), true, false, .null], "b": ["c": "d"]])
        XCTAssertEqual(JSONValue.parse(" \n\t[ ] "), .array([]))
        XCTAssertEqual(JSONValue.parse(#""\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00""#), .string("\"\\/\u{8}\u{c}\n\r\té😀"))
        XCTAssertEqual(JSONValue.parse("0"), .number(0))
        XCTAssertEqual(JSONValue.parse(#""Zoë""#), .string("Zoë"))
    }

    func testInvalidDocuments() {
        for bad in ["", "{", "[1,]", #"{"a":1,}"#, "01", "1.", "-", "+1", ".5", "tru", "nul", #"{"a" 1}"#, #"{a:1}"#,
                    "[1] x", "\"\u{01}\"", #""\ud800""#, #""\udc00x""#, #""\x""#, "'a'", #"{"a":1}{"#,
                    String(repeating: "[", count: 600) + String(repeating: "]", count: 600)] {
            XCTAssertNil(JSONValue.parse(bad), "accepted: \(bad.prefix(40))")
        }
        XCTAssertNil(JSONValue.parse([0x22, 0xFF, 0x22]), "invalid UTF-8")
    }

    /// Found by the JSON fuzzer: a number past a Double's range parsed as infinity, which the
    /// writer cannot write back (it wrote null), and which let `clock/advance 1e999` through.
    func testNumbersPastTheRangeOfADoubleAreRefused() {
        for big in ["1e999", "-1e400", "[3" + String(repeating: "3", count: 40) + "E3333]", #"{"seconds":1e999}"#] {
            XCTAssertNil(JSONValue.parse(big), big)
        }
        XCTAssertEqual(JSONValue.parse("1e308"), .number(1e308))
        XCTAssertEqual(JSONValue.parse("1e-400"), .number(0), "an underflow is a number still")
        for value: JSONValue in [.number(1e308), .number(-2.5e-300), .number(0.1), ["a": .number(123456789012345)]] {
            XCTAssertEqual(JSONValue.parse(value.jsonText), value, value.jsonText)
        }
    }

    func testAgreesWithFoundation() throws {
        let samples = [#"{"display_name":"Alice","direct_media":false,"n":[1,2.25,-3e-2]}"#, #"[{"x":{"y":[null]}}]"#]
        for text in samples {
            let fast = try XCTUnwrap(JSONValue.parse(text))
            let slow = try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
            XCTAssertEqual(fast, slow)
        }
    }
}
