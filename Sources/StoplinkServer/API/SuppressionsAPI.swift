import Foundation
import Hummingbird
import NIOCore
import StoplinkCore
import StoplinkStore

/// One number's state and history, opt-outs made elsewhere, opt-ins with evidence, and imports.
struct SuppressionsAPI: Sendable {

    let store: any Store
    let clock: any WallClock
    let metrics: StoplinkMetrics

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.post("suppressions/import", use: importCSV)
        group.get("suppressions/{phone}", use: show)
        group.put("suppressions/{phone}", use: optOut)
        group.delete("suppressions/{phone}", use: optIn)
    }

    @Sendable func show(request: Request, context: AppRequestContext) async throws -> Response {
        let (company, phone) = try number(context)
        return try APIJSON.response(try await state(company: company, phone: phone))
    }

    struct OptOutRequestBody: Decodable, KnownFields {
        static let knownFields: Set<String> = ["scope", "reason"]
        var scope: OptOutScope?
        var reason: String?
    }

    @Sendable func optOut(request: Request, context: AppRequestContext) async throws -> Response {
        let (company, phone) = try number(context)
        let body = try await APIJSON.decode(OptOutRequestBody.self, from: request)
        let reason = body.reason.flatMap { FreeText.clean($0, limit: 200) }
        let outcome = try await store.recordOptOut(OptOutRequest(
            companyID: company.id, phone: phone, scope: body.scope ?? .marketing, source: .api, reason: reason,
            occurredAt: clock.now()
        ))
        let status: HTTPResponse.Status
        if case .recorded = outcome {
            metrics.optOuts(source: .api)
            status = .created
        } else {
            status = .ok
        }
        return try APIJSON.response(try await state(company: company, phone: phone), status: status)
    }

    struct OptInRequestBody: Decodable, KnownFields {
        static let knownFields: Set<String> = ["evidence"]
        var evidence: String
    }

    @Sendable func optIn(request: Request, context: AppRequestContext) async throws -> Response {
        let (company, phone) = try number(context)
        let body = try await APIJSON.decode(OptInRequestBody.self, from: request)
        guard let evidence = FreeText.clean(body.evidence, limit: 1_000) else {
            throw APIError.invalid("evidence", "must say how consent was given again")
        }
        _ = try await store.recordOptIn(companyID: company.id, phone: phone, source: .api, evidence: evidence, at: clock.now())
        return try APIJSON.response(try await state(company: company, phone: phone))
    }

    // MARK: Import

    struct ImportAnswer: Encodable {
        var added: Int
        var already: Int
        var rejected: [LineError]
    }

    /// CSV `phone[,opted_out_at][,reason]` (a header line names the columns, or they come in this
    /// order without one); adds opt-outs with source `import` in batches, never opting anyone back in.
    @Sendable func importCSV(request: Request, context: AppRequestContext) async throws -> Response {
        let company = try context.requireCompany()
        guard request.sendsCSV else {
            throw APIError(.unsupportedMediaType, "unsupported_media_type", "send the opt-outs as text/csv")
        }
        let now = clock.now()
        var reader = RecipientCSVReader(extraColumns: ["opted_out_at", "reason"])
        var rows: [ImportRow] = []
        var answer = ImportAnswer(added: 0, already: 0, rejected: [])

        func flush() async throws {
            guard !rows.isEmpty else { return }
            let counts = try await store.importOptOuts(companyID: company.id, rows: rows, scope: company.optOutScope)
            answer.added += counts.added
            metrics.optOuts(source: .import, count: counts.added)
            answer.already += counts.already
            rows.removeAll(keepingCapacity: true)
        }
        func take(_ lines: [RecipientLine]) async throws {
            for line in lines {
                let phone: PhoneNumber
                do {
                    phone = try PhoneNumber(parsing: line.phone, defaultRegion: company.defaultCountry)
                } catch {
                    answer.rejected.append(LineError(line: line.line, input: line.phone, reason: error.description))
                    continue
                }
                let timeText = line["opted_out_at"].trimmingCharacters(in: .whitespaces)
                var when = now
                if !timeText.isEmpty {
                    guard let parsed = APIJSON.parseTimestamp(timeText), parsed <= now else {
                        answer.rejected.append(LineError(line: line.line, input: line.phone, reason: "opted_out_at must be an RFC 3339 time or date, not in the future"))
                        continue
                    }
                    when = parsed
                }
                rows.append(ImportRow(phone: phone, optedOutAt: when, reason: FreeText.clean(line["reason"], limit: 200)))
                if rows.count >= RecipientCSVReader.batchSize { try await flush() }
            }
        }
        do {
            for try await chunk in request.body {
                try await take(reader.feed(chunk.readableBytesView))
            }
            try await take(reader.finish())
        } catch let error as RecipientCSVError {
            guard reader.layout != nil, case .invalidCSV = error else {
                throw APIError(.unprocessableContent, error.code, error.description)
            }
            try await flush()
            answer.rejected.append(LineError(line: error.line ?? 0, input: "", reason: error.description + "; the rest of the file was not read"))
            return try APIJSON.response(answer)
        }
        try await flush()
        return try APIJSON.response(answer)
    }

    // MARK: Helpers

    private func number(_ context: AppRequestContext) throws -> (Company, PhoneNumber) {
        let company = try context.requireCompany()
        let input = context.parameters.get("phone")?.removingPercentEncoding ?? ""
        do {
            return (company, try PhoneNumber(parsing: input, defaultRegion: company.defaultCountry))
        } catch {
            throw APIError(.unprocessableContent, "invalid_phone", "\(PhoneNumber.mask(input)): \(error.description)",
                           details: [.init(field: "phone", reason: error.description)])
        }
    }

    private func state(company: Company, phone: PhoneNumber) async throws -> NumberStateView {
        let suppression = try await store.suppression(companyID: company.id, phone: phone)
        let history = try await store.history(companyID: company.id, phone: phone)
        return NumberStateView(
            phone: phone.e164, suppressed: suppression != nil, scope: suppression?.scope, since: suppression?.since,
            history: history.map(ConsentEventView.init)
        )
    }
}
