import Foundation
import Hummingbird
import StoplinkCore
import StoplinkStore

/// `POST /api/v1/check`: may these numbers be sent a message of this purpose?
struct CheckAPI: Sendable {
    static let maximumPhones = 10_000

    let store: any Store

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.post("check", use: check)
    }

    struct CheckRequest: Decodable, KnownFields {
        static let knownFields: Set<String> = ["phones", "purpose"]
        var phones: [String]
        var purpose: Purpose?
    }

    /// One answer: `allowed` for a readable number, with since/scope/source/campaign when it is
    /// not; `error` and the input as given for an unreadable one.
    struct Result: Encodable {
        var phone: String
        var allowed: Bool?
        var since: Date?
        var scope: OptOutScope?
        var source: ConsentSource?
        var campaign: String?
        var error: String?
    }

    @Sendable func check(request: Request, context: AppRequestContext) async throws -> Response {
        let company = try context.requireCompany()
        let body = try await APIJSON.decode(CheckRequest.self, from: request)
        guard body.phones.count <= Self.maximumPhones else {
            throw APIError(.contentTooLarge, "too_many_phones", "at most \(Self.maximumPhones) numbers per check")
        }
        let purpose = body.purpose ?? .marketing
        let read = body.phones.map { input in Result.Read(input: input, region: company.defaultCountry) }
        let states = try await store.check(companyID: company.id, phones: read.compactMap(\.phone))
        var stateIterator = states.makeIterator()
        let results = read.map { item -> Result in
            guard item.phone != nil, let state = stateIterator.next() else {
                return Result(phone: item.input, error: item.error)
            }
            guard let suppression = state.suppression, suppression.scope.blocks(purpose) else {
                return Result(phone: state.phone.e164, allowed: true)
            }
            return Result(
                phone: state.phone.e164, allowed: false, since: suppression.since, scope: suppression.scope,
                source: suppression.source, campaign: suppression.campaignRef
            )
        }
        return Response(
            status: .ok, headers: [.contentType: "application/json; charset=utf-8"],
            body: ResponseBody(byteBuffer: Result.answer(results))
        )
    }
}

extension CheckAPI.Result {
    /// `{"results":[...]}` as `APIJSON.encoder` writes it (keys sorted, absent values left out),
    /// written directly: the encoder took a third of a 10,000-number check.
    static func answer(_ results: [Self]) -> ByteBuffer {
        var json = JSONWriter(capacity: 64 + results.count * 40)
        json.beginObject()
        json.beginArray("results")
        for result in results {
            json.beginObject()
            json.field("allowed", result.allowed)
            json.field("campaign", result.campaign)
            json.field("error", result.error)
            json.field("phone", result.phone)
            json.field("scope", result.scope?.rawValue)
            json.field("since", result.since)
            json.field("source", result.source?.rawValue)
            json.endObject()
        }
        json.endArray()
        json.endObject()
        return json.buffer
    }

    /// An input number, read with the company's default country.
    struct Read {
        var input: String
        var phone: PhoneNumber?
        var error: String?

        init(input: String, region: String) {
            self.input = input
            do {
                phone = try PhoneNumber(parsing: input, defaultRegion: region)
            } catch {
                self.error = error.description
            }
        }
    }
}
