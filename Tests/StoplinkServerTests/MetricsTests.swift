import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import StoplinkCore
@testable import StoplinkServer
import StoplinkStore
import Testing

/// `GET /metrics` after real traffic, read from the fixture's own registry.
@Suite("Metrics")
struct MetricsTests {
    static let token = "metrics-token-0123456789"

    /// The samples of a Prometheus text answer: `name{labels}` → value.
    static func samples(_ body: String) -> [String: Double] {
        var samples: [String: Double] = [:]
        for line in body.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { continue }
            samples[String(line[..<space])] = value
        }
        return samples
    }

    /// Every label value in the answer.
    static func labelValues(_ body: String) -> [String] {
        body.matches(of: /[a-z_]+="([^"]*)"/).map { String($0.output.1) }
    }

    func scrape(_ client: some TestClientProtocol, token: String? = MetricsTests.token) async throws -> TestResponse {
        var headers: HTTPFields = [:]
        if let token { headers[.authorization] = "Bearer \(token)" }
        return try await client.execute(uri: "/metrics", method: .get, headers: headers)
    }

    @Test("Requests by route pattern and status, opt-outs by source, deliveries by outcome, backlog, rejections; no code or number in a label")
    func scrapeAfterTraffic() async throws {
        let fixture = try await APIFixture { config in
            config.metricsToken = MetricsTests.token
            config.rateLimits.unknownCode = RateLimit(name: "unknown_code", count: 1, window: 60)
        }
        let base = fixture.base
        // Nothing listens on port 9 of loopback: the attempt fails and is retried later.
        _ = try await fixture.store.createEndpoint(
            companyID: fixture.company.id, url: "http://127.0.0.1:9/hook", description: "", eventTypes: [], at: base.clock.now()
        )

        let body = try await fixture.application().test(.router) { client in
            let optOut = try await client.optOut(code: base.link.code, phone: "0612345678")
            _ = try await client.open("/zzzzzzzzzz")
            let limited = try await client.open("/zzzzzzzzzy")
            let put = try await client.api(.put, "/api/v1/suppressions/%2B31687654321", key: fixture.key, json: "{}")
            let state = try await client.api(.get, "/api/v1/suppressions/%2B31687654321", key: fixture.key)
            await base.dependencies.webhooks.runOnce()
            base.clock.advance(by: 90)
            let response = try await scrape(client)

            #expect(optOut.status == .seeOther)
            #expect(limited.status == .tooManyRequests)
            #expect(put.status == .created)
            #expect(state.status == .ok)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType]?.hasPrefix("text/plain; version=0.0.4") == true)
            return text(response)
        }
        let samples = Self.samples(body)

        #expect(samples[#"stoplink_http_requests_total{method="GET",route="/{code}",status="200"}"#] == 1)
        #expect(samples[#"stoplink_http_requests_total{method="POST",route="/{code}",status="303"}"#] == 1)
        #expect(samples[#"stoplink_http_requests_total{method="GET",route="/{code}",status="404"}"#] == 1)
        #expect(samples[#"stoplink_http_requests_total{method="GET",route="/{code}",status="429"}"#] == 1)
        #expect(samples[#"stoplink_http_requests_total{method="PUT",route="/api/v1/suppressions/{phone}",status="201"}"#] == 1)
        #expect(samples[#"stoplink_http_requests_total{method="GET",route="/api/v1/suppressions/{phone}",status="200"}"#] == 1)
        #expect(samples[#"stoplink_http_request_duration_seconds_count{method="GET",route="/{code}"}"#] == 3)
        #expect(samples[#"stoplink_http_request_duration_seconds_bucket{method="GET",route="/{code}",le="+Inf"}"#] == 3)
        #expect(samples[#"stoplink_opt_outs_total{source="link"}"#] == 1)
        #expect(samples[#"stoplink_opt_outs_total{source="api"}"#] == 1)
        #expect(samples[#"stoplink_rate_limit_rejections_total{limit="unknown_code"}"#] == 1)
        #expect(samples[#"stoplink_rate_limit_rejections_total{limit="api"}"#] == 0, "every limit's series is there from the start")
        #expect(samples[#"stoplink_opt_outs_total{source="keyword"}"#] == 0)
        #expect(samples[#"stoplink_webhook_deliveries_total{outcome="succeeded"}"#] == 0)
        #expect(samples[#"stoplink_database_errors_total{component="request"}"#] == 0)
        #expect(samples[#"stoplink_webhook_deliveries_total{outcome="failed"}"#] == 2, "two numbers, tried at once")
        #expect(samples["stoplink_webhook_backlog_deliveries"] == 2)
        #expect(samples["stoplink_webhook_backlog_oldest_age_seconds"] == 90)
        let labels = Self.labelValues(body)
        #expect(!labels.isEmpty)
        for value in labels {
            #expect(!value.contains(base.link.code) && !value.contains("zzzzzzzzz"), "a code in a label: \(value)")
            #expect(value.firstMatch(of: /[0-9]{5,}/) == nil, "a number in a label: \(value)")
        }
    }

    @Test("/metrics needs the configured bearer token, and is off without one")
    func access() async throws {
        let protected = try await Fixture { $0.metricsToken = MetricsTests.token }
        let off = try await Fixture()

        let (missing, wrong, right) = try await protected.application().test(.router) { client in
            (try await scrape(client, token: nil), try await scrape(client, token: "metrics-token-0123456780"), try await scrape(client))
        }
        let disabled = try await off.application().test(.router) { client in try await scrape(client) }

        #expect(missing.status == .unauthorized)
        #expect(missing.headers[.wwwAuthenticate] == "Bearer")
        #expect(wrong.status == .unauthorized)
        #expect(right.status == .ok)
        #expect(disabled.status == .notFound)
        #expect(!text(disabled).contains("stoplink_"))
    }

    @Test("A client cannot invent label values with methods of its own")
    func unknownMethod() async throws {
        let fixture = try await Fixture { $0.metricsToken = MetricsTests.token }

        let body = try await fixture.application().test(.router) { client in
            _ = try await client.execute(uri: "/healthz", method: HTTPRequest.Method("BREW")!, headers: [:])
            return text(try await scrape(client))
        }

        #expect(!body.contains("BREW"))
        #expect(body.contains(#"method="other""#))
    }
}
