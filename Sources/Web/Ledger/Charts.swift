import Foundation
import Kernel

/// Small server-drawn SVG charts. No script, no inline style (the CSP forbids both): colours come from classes in
/// keel.css, and each bar or point carries a <title> so a pointer or a screen reader gets the exact figure.
enum Charts {
    static let width = 720.0
    static let height = 260.0
    static let left = 70.0
    static let right = 12.0
    static let top = 16.0
    static let bottom = 44.0

    struct Series {
        let name: String
        /// A class of keel.css: chart-a, chart-b.
        let style: String
        let values: [Int64]
    }

    /// Grouped bars, one group per label; values are money in `currency` minor units.
    static func bars(title: String, labels: [String], series: [Series], currency: Currency) -> String {
        bars(title: title, labels: labels, series: series) { Money(minorUnits: $0, currency: currency).grouped }
    }

    /// Grouped bars with values shown by `format` (counts: `String($0)`).
    static func bars(title: String, labels: [String], series: [Series], format: (Int64) -> String) -> String {
        let values = series.flatMap(\.values)
        let scale = Scale(low: min(0, values.min() ?? 0), high: max(0, values.max() ?? 0), span: height - top - bottom)
        let plotWidth = width - left - right
        let slot = plotWidth / Double(max(labels.count, 1))
        let barWidth = slot * 0.8 / Double(max(series.count, 1))
        var svg = open(title) + axes(scale, format: format) + labelsRow(labels, slot: slot)
        for (index, label) in labels.enumerated() {
            for (position, line) in series.enumerated() where index < line.values.count {
                let value = line.values[index]
                let x = left + slot * Double(index) + slot * 0.1 + barWidth * Double(position)
                let y0 = scale.y(0)
                let y1 = scale.y(value)
                svg += "<rect class=\"\(line.style)\" x=\"\(f(x))\" y=\"\(f(min(y0, y1)))\" width=\"\(f(barWidth - 1))\" "
                    + "height=\"\(f(max(abs(y1 - y0), value == 0 ? 0 : 1)))\"><title>\(escape(line.name)) \(escape(label)): "
                    + "\(escape(format(value)))</title></rect>"
            }
        }
        return svg + legend(series) + "</svg>"
    }

    /// One line with a point per label.
    static func line(title: String, labels: [String], series: Series, currency: Currency) -> String {
        let scale = Scale(low: min(0, series.values.min() ?? 0), high: max(0, series.values.max() ?? 0),
                          span: height - top - bottom)
        let slot = (width - left - right) / Double(max(labels.count, 1))
        var svg = open(title) + axes(scale, format: { Money(minorUnits: $0, currency: currency).grouped })
            + labelsRow(labels, slot: slot)
        let points = series.values.enumerated().map { (left + slot * (Double($0.offset) + 0.5), scale.y($0.element)) }
        svg += "<polyline class=\"\(series.style) chart-line\" points=\""
            + points.map { "\(f($0.0)),\(f($0.1))" }.joined(separator: " ") + "\"/>"
        for (index, point) in points.enumerated() {
            svg += "<circle class=\"\(series.style)\" cx=\"\(f(point.0))\" cy=\"\(f(point.1))\" r=\"4\"><title>"
                + "\(escape(labels[index])): \(Money(minorUnits: series.values[index], currency: currency).grouped)"
                + "</title></circle>"
        }
        return svg + legend([series]) + "</svg>"
    }

    /// A y axis from `low` to `high` rounded out to a readable step.
    struct Scale {
        let low: Double
        let high: Double
        let step: Double
        let span: Double

        init(low: Int64, high: Int64, span: Double) {
            let range = max(Double(high - low), 1)
            let rough = range / 4
            let magnitude = pow(10, floor(log10(rough)))
            let step = [1.0, 2, 2.5, 5, 10].map { $0 * magnitude }.first { $0 >= rough } ?? magnitude * 10
            self.step = step
            self.low = floor(Double(low) / step) * step
            self.high = max(ceil(Double(high) / step) * step, self.low + step)
            self.span = span
        }

        func y(_ value: Int64) -> Double { Charts.top + (high - Double(value)) / (high - low) * span }

        var ticks: [Double] { stride(from: low, through: high + step / 2, by: step).map { $0 } }
    }

    static func open(_ title: String) -> String {
        "<svg class=\"chart\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\"\(escape(title))\" "
            + "xmlns=\"http://www.w3.org/2000/svg\"><title>\(escape(title))</title>"
    }

    static func axes(_ scale: Scale, format: (Int64) -> String) -> String {
        var svg = ""
        for tick in scale.ticks {
            let value = Int64(tick.rounded())
            let y = scale.y(value)
            let label = format(value)
            svg += "<line class=\"chart-grid\" x1=\"\(f(left))\" y1=\"\(f(y))\" x2=\"\(f(width - right))\" y2=\"\(f(y))\"/>"
            svg += "<text class=\"chart-tick\" x=\"\(f(left - 6))\" y=\"\(f(y + 4))\" text-anchor=\"end\">"
                + "\(escape(String(label.split(separator: ".").first ?? Substring(label))))</text>"
        }
        return svg
    }

    static func labelsRow(_ labels: [String], slot: Double) -> String {
        labels.enumerated().map { index, label in
            "<text class=\"chart-tick\" x=\"\(f(left + slot * (Double(index) + 0.5)))\" y=\"\(f(height - bottom + 16))\" "
                + "text-anchor=\"middle\">\(escape(label))</text>"
        }.joined()
    }

    static func legend(_ series: [Series]) -> String {
        let spacing = series.count > 4 ? (width - left - right) / Double(series.count) : 140
        return series.enumerated().map { index, line in
            let x = left + Double(index) * spacing
            return "<rect class=\"\(line.style)\" x=\"\(f(x))\" y=\"\(f(height - 14))\" width=\"12\" height=\"12\"/>"
                + "<text class=\"chart-tick\" x=\"\(f(x + 18))\" y=\"\(f(height - 4))\">\(escape(line.name))</text>"
        }.joined()
    }

    static func f(_ value: Double) -> String { String(format: "%.1f", value) }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
