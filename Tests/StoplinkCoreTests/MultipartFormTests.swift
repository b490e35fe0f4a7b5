import Foundation
import Testing
@testable import StoplinkCore

private let boundary = "----WebKitFormBoundary7MA4YWxkTrZu0gW"

/// A body as Chromium sends a form with a hidden field, a file and a textarea.
private let chromium = [
    "------WebKitFormBoundary7MA4YWxkTrZu0gW",
    "Content-Disposition: form-data; name=\"csrf\"",
    "",
    "token-value",
    "------WebKitFormBoundary7MA4YWxkTrZu0gW",
    "Content-Disposition: form-data; name=\"file\"; filename=\"opt outs.csv\"",
    "Content-Type: text/csv",
    "",
    "phone,reason\r\n+31612345678,moved\r\n",
    "------WebKitFormBoundary7MA4YWxkTrZu0gW",
    "Content-Disposition: form-data; name=\"text\"",
    "",
    "",
    "------WebKitFormBoundary7MA4YWxkTrZu0gW--",
    "",
].joined(separator: "\r\n")

@Suite("multipart/form-data bodies")
struct MultipartFormTests {
    static func parse(_ text: String, limits: MultipartForm.Limits = .init()) throws(MultipartForm.ReadError) -> [MultipartForm.Part] {
        try MultipartForm.parse(Array(text.utf8), boundary: boundary, limits: limits)
    }

    @Test("a browser's form: fields, a file with its name and type, an empty textarea")
    func browserForm() throws {
        let parts = try Self.parse(chromium)

        #expect(parts.map(\.name) == ["csrf", "file", "text"])
        #expect(parts[1].filename == "opt outs.csv")
        #expect(parts[1].contentType == "text/csv")
        #expect(parts[1].text == "phone,reason\r\n+31612345678,moved\r\n")
        #expect(parts[2].body.isEmpty)
        #expect(MultipartForm.fields(parts) == ["csrf": "token-value", "text": ""])
    }

    @Test("the boundary is read from the content type, quoted or not, and refused when unusable", arguments: [
        ("multipart/form-data; boundary=abc", "abc"),
        ("Multipart/Form-Data;boundary=\"a b:c\"", "a b:c"),
        ("multipart/form-data; charset=utf-8; boundary=----x", "----x"),
    ])
    func boundaryOfContentType(contentType: String, expected: String) throws {
        #expect(try MultipartForm.boundary(contentType: contentType) == expected)
    }

    @Test("content types that are not a form with a boundary are refused", arguments: [
        "application/x-www-form-urlencoded", "multipart/mixed; boundary=abc", "multipart/form-data",
        "multipart/form-data; boundary=", "multipart/form-data; boundary=\(String(repeating: "x", count: 71))",
        "multipart/form-data; boundary=a\"b", "multipart/form-data; boundary=\"ends in space \"",
    ])
    func badContentType(contentType: String) {
        #expect(throws: MultipartForm.ReadError.notFormData) { try MultipartForm.boundary(contentType: contentType) }
    }

    @Test("a file that holds text looking like a boundary, but not the boundary, stays in the file")
    func lookalikeBoundary() throws {
        let content = "--\(boundary.dropLast())\r\n--\(boundary)x"
        let body = MultipartForm.write([.init(name: "file", filename: "a.csv", body: Array(content.utf8))], boundary: boundary + "Z")

        let parts = try MultipartForm.parse(body, boundary: boundary + "Z")

        #expect(parts.first?.text == content)
    }

    @Test("what write produces reads back the same, names with quotes and backslashes too")
    func roundTrip() throws {
        let parts: [MultipartForm.Part] = [
            .init(name: "a\"b\\c", body: Array("x".utf8)),
            .init(name: "file", filename: "r\"sum\u{E9}.csv", contentType: "text/csv", body: [0, 13, 10, 255]),
            .init(name: "empty", body: []),
        ]

        let read = try MultipartForm.parse(MultipartForm.write(parts, boundary: "b0und"), boundary: "b0und")

        #expect(read == parts)
    }

    @Test("bodies that break the format are refused with their reason", arguments: [
        ("preamble\r\n" + chromium, MultipartForm.ReadError.missingBoundary),
        (chromium.replacingOccurrences(of: "--\(boundary)--\r\n", with: ""), .missingBoundary),
        (chromium + "junk", .trailingData),
        ("--\(boundary)\r\nContent-Type: text/plain\r\n\r\nx\r\n--\(boundary)--", .unnamedPart),
        ("--\(boundary)\r\n\r\nx\r\n--\(boundary)--", .unnamedPart),
        ("--\(boundary)\r\nContent-Disposition: attachment; name=\"a\"\r\n\r\nx\r\n--\(boundary)--", .unnamedPart),
        ("--\(boundary)\r\nContent-Disposition: form-data; name=\"\"\r\n\r\nx\r\n--\(boundary)--", .unnamedPart),
        ("--\(boundary)\r\nContent-Disposition: form-data; name=\"a\"; name=\"b\"\r\n\r\nx\r\n--\(boundary)--", .malformedHeaders),
        ("--\(boundary)\r\nContent-Disposition: form-data; name=\"a\r\n\r\nx\r\n--\(boundary)--", .malformedHeaders),
        ("--\(boundary)\r\nno colon here\r\n\r\nx\r\n--\(boundary)--", .malformedHeaders),
        ("--\(boundary)\nContent-Disposition: form-data; name=\"a\"\n\nx\n--\(boundary)--", .missingBoundary),
        ("--\(boundary)\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nnever closed", .missingBoundary),
        ("", .missingBoundary),
    ])
    func refused(body: String, error: MultipartForm.ReadError) {
        #expect(throws: error) { try Self.parse(body) }
    }

    @Test("the number of parts and the size of their headers are bounded")
    func bounded() {
        let many = MultipartForm.write((0..<5).map { .init(name: "f\($0)", body: []) }, boundary: boundary)
        let longHeader = MultipartForm.write([.init(name: String(repeating: "n", count: 200), body: [])], boundary: boundary)
        let limits = MultipartForm.Limits(parts: 4, headerBytes: 100)

        #expect(throws: MultipartForm.ReadError.tooManyParts) { try MultipartForm.parse(many, boundary: boundary, limits: limits) }
        #expect(throws: MultipartForm.ReadError.headersTooLong) { try MultipartForm.parse(longHeader, boundary: boundary, limits: limits) }
        #expect((try? MultipartForm.parse(many, boundary: boundary)).map(\.count) == 5)
    }
}
