import Foundation

/// Charts drawn on the server as inline SVG: no scripts, fonts, styles or links to anything
/// outside the element, so they pass a strict Content-Security-Policy and print as they look.
/// Each has a title and a text alternative (`<title>`, `<desc>`, `role="img"`, `aria-labelledby`);
/// the page shows the same numbers in a table beside it (`SVGChart.Bar` carries them).
public enum SVGChart {
    /// Colours with enough contrast on white (WCAG AA for the text drawn beside them).
    static let barColour = "#2f6f9f"
    static let axisColour = "#333333"

    /// One bar: its label and value.
    public struct Bar: Equatable, Sendable {
        public var label: String
        public var value: Int

        public init(label: String, value: Int) {
            self.label = label
            self.value = value
        }
    }

    /// Horizontal bars, one row each (for reasons: long labels read left to right), with the
    /// value at the end of each bar and a value axis with ticks underneath.
    public static func horizontalBars(id: String, title: String, bars: [Bar], width: Int = 640) -> String {
        let rowHeight = 28
        let labelWidth = min(220, width / 3)
        let top = 8
        let axisHeight = 28
        let plotWidth = width - labelWidth - 56
        let height = top + max(bars.count, 1) * rowHeight + axisHeight
        let scale = Scale(maximum: bars.map(\.value).max() ?? 0)
        var svg = open(id: id, title: title, description: description(title: title, bars: bars), width: width, height: height)
        for (index, bar) in bars.enumerated() {
            let y = top + index * rowHeight
            let length = scale.fraction(bar.value) * Double(plotWidth)
            svg += #"<text x="\#(labelWidth - 8)" y="\#(y + 18)" text-anchor="end" font-size="13">\#(escape(shortened(bar.label, to: 28)))</text>"#
            svg += #"<rect x="\#(labelWidth)" y="\#(y + 5)" width="\#(format(length))" height="\#(rowHeight - 10)" fill="\#(barColour)"/>"#
            svg += #"<text x="\#(format(Double(labelWidth) + length + 6))" y="\#(y + 18)" font-size="13">\#(bar.value)</text>"#
        }
        let axisY = top + max(bars.count, 1) * rowHeight
        svg += #"<line x1="\#(labelWidth)" y1="\#(top)" x2="\#(labelWidth)" y2="\#(axisY)" stroke="\#(axisColour)"/>"#
        svg += #"<line x1="\#(labelWidth)" y1="\#(axisY)" x2="\#(labelWidth + plotWidth)" y2="\#(axisY)" stroke="\#(axisColour)"/>"#
        for tick in scale.ticks {
            let x = Double(labelWidth) + scale.fraction(tick) * Double(plotWidth)
            svg += #"<line x1="\#(format(x))" y1="\#(axisY)" x2="\#(format(x))" y2="\#(axisY + 4)" stroke="\#(axisColour)"/>"#
            svg += #"<text x="\#(format(x))" y="\#(axisY + 18)" text-anchor="middle" font-size="12">\#(tick)</text>"#
        }
        return svg + "</svg>"
    }

    /// Vertical columns over time or any ordered labels (opt-outs per day), with a value axis on
    /// the left and at most `maximumLabels` labels along the bottom so they never overlap.
    public static func columns(id: String, title: String, bars: [Bar], width: Int = 640, height: Int = 240, maximumLabels: Int = 8) -> String {
        let left = 44
        let bottom = 28
        let top = 8
        let plotWidth = width - left - 8
        let plotHeight = height - top - bottom
        let scale = Scale(maximum: bars.map(\.value).max() ?? 0)
        var svg = open(id: id, title: title, description: description(title: title, bars: bars), width: width, height: height)
        let slot = bars.isEmpty ? Double(plotWidth) : Double(plotWidth) / Double(bars.count)
        let labelEvery = max(1, Int((Double(bars.count) / Double(max(maximumLabels, 1))).rounded(.up)))
        for (index, bar) in bars.enumerated() {
            let barHeight = scale.fraction(bar.value) * Double(plotHeight)
            let x = Double(left) + Double(index) * slot
            svg += #"<rect x="\#(format(x + slot * 0.15))" y="\#(format(Double(top + plotHeight) - barHeight))" width="\#(format(slot * 0.7))" height="\#(format(barHeight))" fill="\#(barColour)"><title>\#(escape(bar.label)): \#(bar.value)</title></rect>"#
            if index % labelEvery == 0 {
                svg += #"<text x="\#(format(x + slot / 2))" y="\#(height - 8)" text-anchor="middle" font-size="12">\#(escape(shortened(bar.label, to: 12)))</text>"#
            }
        }
        svg += #"<line x1="\#(left)" y1="\#(top)" x2="\#(left)" y2="\#(top + plotHeight)" stroke="\#(axisColour)"/>"#
        svg += #"<line x1="\#(left)" y1="\#(top + plotHeight)" x2="\#(left + plotWidth)" y2="\#(top + plotHeight)" stroke="\#(axisColour)"/>"#
        for tick in scale.ticks {
            let y = Double(top + plotHeight) - scale.fraction(tick) * Double(plotHeight)
            svg += #"<line x1="\#(left - 4)" y1="\#(format(y))" x2="\#(left)" y2="\#(format(y))" stroke="\#(axisColour)"/>"#
            svg += #"<text x="\#(left - 8)" y="\#(format(y + 4))" text-anchor="end" font-size="12">\#(tick)</text>"#
        }
        return svg + "</svg>"
    }

    /// The text alternative: the title and every bar's label and value, or that there is no data.
    static func description(title: String, bars: [Bar]) -> String {
        guard !bars.isEmpty else { return "\(title): no data yet." }
        return "\(title): " + bars.map { "\($0.label) \($0.value)" }.joined(separator: ", ") + "."
    }

    private static func open(id: String, title: String, description: String, width: Int, height: Int) -> String {
        let id = escape(id)
        return #"<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="\#(id)-title \#(id)-desc" viewBox="0 0 \#(width) \#(height)" width="100%" preserveAspectRatio="xMinYMin meet" font-family="system-ui, sans-serif">"#
            + #"<title id="\#(id)-title">\#(escape(title))</title><desc id="\#(id)-desc">\#(escape(description))</desc>"#
    }

    /// The value axis: from 0 to a round maximum at or above the largest value, with 2–5 ticks.
    struct Scale {
        let top: Int
        let ticks: [Int]

        init(maximum: Int) {
            let maximum = max(maximum, 1)
            // The smallest step of 1, 2 or 5 times a power of ten that covers it in at most 4 steps.
            let target = (maximum + 3) / 4
            var magnitude = 1
            while magnitude * 10 <= target { magnitude *= 10 }
            let step = [1, 2, 5, 10].map { $0 * magnitude }.first { $0 >= target } ?? magnitude * 10
            let steps = (maximum + step - 1) / step
            top = steps * step
            ticks = (0...steps).map { $0 * step }
        }

        func fraction(_ value: Int) -> Double { Double(max(value, 0)) / Double(top) }
    }

    /// Text for an SVG text node or attribute.
    static func escape(_ text: String) -> String {
        var escaped = ""
        escaped.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&#39;"
            // Control characters are not allowed in XML 1.0 text.
            case _ where scalar.value < 0x20 && scalar != "\t" && scalar != "\n": escaped += " "
            default: escaped.unicodeScalars.append(scalar)
            }
        }
        return escaped
    }

    private static func shortened(_ label: String, to length: Int) -> String {
        label.count <= length ? label : String(label.prefix(length - 1)) + "…"
    }

    private static func format(_ value: Double) -> String {
        String(format: "%.1f", value)
    }
}
