import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import StoplinkCore
@testable import StoplinkServer
import StoplinkStore
import Testing

@Suite("The suppression feed")
struct FeedTests {
    static let nextCursor = HTTPField.Name("X-Next-Cursor")!

    /// Opt-outs through an import, `count` numbers from +3160000000.
    func importNumbers(_ fixture: APIFixture, count: Int, from start: Int = 0) async throws {
        let rows = (start..<(start + count)).map { index in
            ImportRow(phone: PhoneNumber(trustedE164: "+316\(String(format: "%08d", index))"), optedOutAt: fixture.base.clock.now(), reason: "r\(index % 3)")
        }
        _ = try await fixture.store.importOptOuts(companyID: fixture.company.id, rows: rows, scope: .marketing)
    }

    @Test("A company's feed counts its own events from 1: another company's volume does not show; old cursors still resume")
    func numberedPerCompany() async throws {
        let fixture = try await APIFixture()
        func optOut(_ company: String, _ index: Int) async throws -> ConsentEvent? {
            let outcome = try await fixture.store.recordOptOut(OptOutRequest(
                companyID: company, phone: PhoneNumber(trustedE164: "+316\(String(format: "%08d", index))"),
                scope: .marketing, source: .api, occurredAt: fixture.base.clock.now()
            ))
            if case .recorded(let event) = outcome { return event }
            return nil
        }
        for index in 0..<5 { _ = try await optOut(fixture.otherCompany.id, index) }
        let first = try #require(try await optOut(fixture.company.id, 0))
        for index in 5..<9 { _ = try await optOut(fixture.otherCompany.id, index) }
        _ = try await optOut(fixture.company.id, 1)
        // A cursor of the earlier format held the shared row id of the last event read.
        let legacyCursor = Base64URL.encode(Data("v1:\(first.rowID)".utf8))

        try await fixture.application().test(.router) { client in
            let all = try await client.api(.get, "/api/v1/feed", key: fixture.key)
            let resumed = try await client.api(.get, "/api/v1/feed?cursor=\(legacyCursor)", key: fixture.key)
            let theirs = try await client.api(.get, "/api/v1/feed", key: fixture.otherKey)

            #expect((try json(all)["events"] as? [[String: Any]])?.compactMap { $0["seq"] as? Int } == [1, 2])
            #expect((try json(resumed)["events"] as? [[String: Any]])?.compactMap { $0["seq"] as? Int } == [2])
            #expect((try json(theirs)["events"] as? [[String: Any]])?.compactMap { $0["seq"] as? Int } == Array(1...9))
            #expect(try json(all)["next_cursor"] as? String == FeedAPI.Cursor.encode(2))
        }
    }

    @Test("Pages read while opt-outs are being written neither skip nor repeat an event")
    func concurrentWriters() async throws {
        let fixture = try await APIFixture()
        let total = 400

        let seen = try await fixture.application().test(.router) { client in
            try await withThrowingTaskGroup(of: [Int64].self) { group in
                group.addTask {
                    for index in 0..<total {
                        _ = try await fixture.store.recordOptOut(OptOutRequest(
                            companyID: fixture.company.id, phone: PhoneNumber(trustedE164: "+316\(String(format: "%08d", index))"),
                            scope: .marketing, source: .api, occurredAt: fixture.base.clock.now()
                        ))
                    }
                    return []
                }
                group.addTask {
                    var seqs: [Int64] = []
                    var cursor = ""
                    var pages = 0
                    // Bounded, so a feed that stopped moving fails the test instead of hanging it.
                    while seqs.count < total, pages < 20_000 {
                        pages += 1
                        let page = try await client.api(.get, "/api/v1/feed?limit=37&cursor=\(cursor)", key: fixture.key)
                        let events = try #require(try json(page)["events"] as? [[String: Any]])
                        seqs += events.compactMap { ($0["seq"] as? NSNumber)?.int64Value }
                        cursor = try #require(try json(page)["next_cursor"] as? String)
                        #expect(page.headers[Self.nextCursor] == cursor)
                        if events.isEmpty { try await Task.sleep(for: .milliseconds(2)) }
                    }
                    return seqs
                }
                return try await group.reduce(into: []) { $0 += $1 }
            }
        }

        #expect(seen == Array(1...Int64(total)))
    }

    @Test("CSV and NDJSON stream a large feed whole, with the next cursor in a header; a cursor continues it")
    func streaming() async throws {
        let fixture = try await APIFixture()
        try await importNumbers(fixture, count: 12_000)

        try await fixture.application().test(.router) { client in
            let csv = try await client.api(.get, "/api/v1/feed.csv", key: fixture.key)
            let ndjson = try await client.api(.get, "/api/v1/feed.ndjson", key: fixture.key)
            let cursor = try #require(csv.headers[Self.nextCursor])
            try await importNumbers(fixture, count: 5, from: 50_000)
            let rest = try await client.api(.get, "/api/v1/feed.ndjson?cursor=\(cursor)", key: fixture.key)

            let rows = try CSVReader.records(of: Array(text(csv).utf8))
            #expect(rows.count == 12_001)
            #expect(rows[0].fields == ["seq", "occurred_at", "action", "phone", "scope", "source", "campaign", "reason"])
            #expect(rows[1].fields[0] == "1" && rows[1].fields[2] == "opt_out" && rows[1].fields[3] == "+31600000000")
            #expect(rows.last?.fields[0] == "12000")
            let lines = text(ndjson).split(separator: "\n")
            #expect(lines.count == 12_000)
            #expect(ndjson.headers[Self.nextCursor] == cursor)
            let restLines = text(rest).split(separator: "\n").map { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            #expect(restLines.compactMap { ($0?["seq"] as? NSNumber)?.intValue } == [12_001, 12_002, 12_003, 12_004, 12_005])
        }
    }

    @Test("When nothing is new, If-None-Match with the last ETag answers 304")
    func notModified() async throws {
        let fixture = try await APIFixture()
        try await importNumbers(fixture, count: 3)

        try await fixture.application().test(.router) { client in
            let first = try await client.api(.get, "/api/v1/feed", key: fixture.key)
            let cursor = try #require(try json(first)["next_cursor"] as? String)
            let caughtUp = try await client.api(.get, "/api/v1/feed?cursor=\(cursor)", key: fixture.key)
            let etag = try #require(caughtUp.headers[.eTag])
            let unchanged = try await client.api(.get, "/api/v1/feed?cursor=\(cursor)", key: fixture.key, headers: [.ifNoneMatch: etag])
            try await importNumbers(fixture, count: 1, from: 10)
            let changed = try await client.api(.get, "/api/v1/feed?cursor=\(cursor)", key: fixture.key, headers: [.ifNoneMatch: etag])

            #expect((try json(first)["events"] as? [Any])?.count == 3)
            #expect((try json(caughtUp)["events"] as? [Any])?.isEmpty == true)
            #expect(unchanged.status == .notModified)
            #expect(changed.status == .ok)
            #expect((try json(changed)["events"] as? [Any])?.count == 1)
        }
    }

    @Test("state=current lists who is opted out now; opt-ins appear as events; bad cursors are refused")
    func currentState() async throws {
        let fixture = try await APIFixture()
        try await importNumbers(fixture, count: 3)
        _ = try await fixture.store.recordOptIn(
            companyID: fixture.company.id, phone: PhoneNumber(trustedE164: "+31600000001"), source: .api, evidence: "form", at: fixture.base.clock.now()
        )

        try await fixture.application().test(.router) { client in
            let current = try await client.api(.get, "/api/v1/feed.csv?state=current", key: fixture.key)
            let events = try await client.api(.get, "/api/v1/feed", key: fixture.key)
            let other = try await client.api(.get, "/api/v1/feed", key: fixture.otherKey)
            let firstPage = try await client.api(.get, "/api/v1/feed?state=current&limit=1", key: fixture.key)
            let after = try #require(try json(firstPage)["next_after_phone"] as? String)
            let secondPage = try await client.api(.get, "/api/v1/feed?state=current&limit=1&after_phone=\(after)", key: fixture.key)
            let lastPage = try await client.api(.get, "/api/v1/feed?state=current&limit=5&after_phone=\(after)", key: fixture.key)
            let badCursor = try await client.api(.get, "/api/v1/feed?cursor=garbage", key: fixture.key)
            let badLimit = try await client.api(.get, "/api/v1/feed?limit=10001", key: fixture.key)

            let rows = try CSVReader.records(of: Array(text(current).utf8))
            #expect(rows.map { $0.fields[0] } == ["phone", "+31600000000", "+31600000002"])
            let actions = (try json(events)["events"] as? [[String: Any]])?.compactMap { $0["action"] as? String }
            #expect(actions == ["opt_out", "opt_out", "opt_out", "opt_in"])
            #expect((try json(other)["events"] as? [Any])?.isEmpty == true)
            #expect((try json(firstPage)["suppressions"] as? [[String: Any]])?.first?["phone"] as? String == "+31600000000")
            #expect((try json(secondPage)["suppressions"] as? [[String: Any]])?.first?["phone"] as? String == "+31600000002")
            #expect(try json(secondPage)["next_cursor"] as? String == FeedAPI.Cursor.encode(0), "later pages never point past unread events")
            #expect(try json(firstPage)["next_cursor"] as? String == FeedAPI.Cursor.encode(4))
            #expect(try json(lastPage)["next_after_phone"] == nil)
            #expect(badCursor.status == .badRequest)
            #expect(badLimit.status == .unprocessableContent)
        }
    }
}
