import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
@testable import StoplinkCore
import Testing

@Suite("SVG charts")
struct SVGChartTests {
    static let hostile = SVGChart.Bar(label: #"<script>alert("x")</script> & 'co'"#, value: 3)

    /// Whether `svg` is well-formed XML, and the texts of its nodes.
    func parse(_ svg: String) -> (wellFormed: Bool, texts: [String]) {
        final class Collector: NSObject, XMLParserDelegate {
            var texts: [String] = []
            func parser(_ parser: XMLParser, foundCharacters string: String) { texts.append(string) }
        }
        let parser = XMLParser(data: Data(svg.utf8))
        let collector = Collector()
        parser.delegate = collector
        return (parser.parse(), collector.texts)
    }

    @Test("Both kinds are well-formed SVG whatever the labels hold, and name nothing outside themselves")
    func selfContained() {
        let bars = [Self.hostile, .init(label: "too expensive", value: 12), .init(label: "bell\u{7}", value: 0)]
        for svg in [SVGChart.horizontalBars(id: "r", title: "Reasons <all>", bars: bars), SVGChart.columns(id: "d", title: "Per day", bars: bars)] {
            let (wellFormed, texts) = parse(svg)
            #expect(wellFormed, "\(svg)")
            #expect(texts.joined().contains(#"<script>alert("x")</script> & 'co'"#), "the label reads back as written")
            for outside in ["<script", "href", "url(", "style", "@import", "<foreignObject"] {
                #expect(!svg.contains(outside), "\(outside)")
            }
        }
    }

    @Test("The title and a text alternative with every label and value are named by the image")
    func accessible() {
        let svg = SVGChart.horizontalBars(id: "reasons", title: "Reasons", bars: [.init(label: "too many", value: 7), .init(label: "never signed up", value: 2)])

        #expect(svg.contains(#"role="img""#))
        #expect(svg.contains(#"aria-labelledby="reasons-title reasons-desc""#))
        #expect(svg.contains(#"<title id="reasons-title">Reasons</title>"#))
        #expect(svg.contains(#"<desc id="reasons-desc">Reasons: too many 7, never signed up 2.</desc>"#))
        #expect(SVGChart.horizontalBars(id: "e", title: "Reasons", bars: []).contains("Reasons: no data yet."))
    }

    @Test("The value axis runs from 0 to a round number at or above the largest value", arguments: [
        (0, 1, [0, 1]), (1, 1, [0, 1]), (7, 8, [0, 2, 4, 6, 8]), (95, 100, [0, 50, 100]), (100, 100, [0, 50, 100]), (1_234, 1_500, [0, 500, 1_000, 1_500]),
    ])
    func scale(maximum: Int, top: Int, ticks: [Int]) {
        let scale = SVGChart.Scale(maximum: maximum)
        #expect(scale.top == top)
        #expect(scale.ticks == ticks)
        #expect(scale.fraction(maximum) <= 1)
    }

    @Test("The longest bar fills the plot up to the axis top, and no bar is longer")
    func barLengths() throws {
        let svg = SVGChart.horizontalBars(id: "r", title: "R", bars: [.init(label: "a", value: 100), .init(label: "b", value: 50)], width: 640)
        let widths = svg.matches(of: /<rect x="[0-9.]+" y="[0-9.]+" width="([0-9.]+)"/).compactMap { Double($0.1) }

        #expect(widths.count == 2)
        #expect(widths[1] * 2 == widths[0])
        #expect(try #require(widths.max()) <= 640)
    }

    @Test("Thirty days get at most eight labels along the bottom, evenly spaced")
    func thinnedLabels() {
        let days = (1...30).map { SVGChart.Bar(label: "12-\(String(format: "%02d", $0))", value: $0 % 4) }
        let svg = SVGChart.columns(id: "d", title: "Per day", bars: days)
        let labels = svg.matches(of: /text-anchor="middle" font-size="12">(12-\d\d)</).map { String($0.1) }

        #expect(labels == ["12-01", "12-05", "12-09", "12-13", "12-17", "12-21", "12-25", "12-29"])
        #expect(svg.components(separatedBy: "<rect ").count - 1 == 30)
    }
}
