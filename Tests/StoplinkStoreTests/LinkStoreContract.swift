import Foundation
import StoplinkCore
import StoplinkStore
import Testing

@Suite("Store contract: campaigns and links")
struct LinkStoreContract {
    @Test("a campaign is created and found by its ref", arguments: StoreFactory.all)
    func createCampaign(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let (company, campaign) = try await store.acmeWithCampaign()

            let found = try await store.campaign(companyID: company.id, ref: "spring-sale")

            #expect(found == campaign)
            #expect(try await store.campaign(companyID: company.id, ref: "summer-sale") == nil)
        }
    }

    @Test("a company's campaigns are listed oldest first", arguments: StoreFactory.all)
    func campaigns(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let (company, spring) = try await store.acmeWithCampaign()
            let summer = try await store.createCampaign(
                companyID: company.id, ref: "summer-sale", name: "Summer", purpose: .informational, at: Sample.now.addingTimeInterval(60)
            )

            let listed = try await store.campaigns(companyID: company.id)

            #expect(listed == [spring, summer])
        }
    }

    @Test("a campaign ref used twice at one company is refused", arguments: StoreFactory.all)
    func campaignExists(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let (company, _) = try await store.acmeWithCampaign()

            await #expect(throws: StoreError.campaignExists("spring-sale")) {
                try await store.createCampaign(companyID: company.id, ref: "spring-sale", name: "Again", purpose: .marketing, at: Sample.now)
            }
        }
    }

    @Test("the same campaign ref at another company is fine", arguments: StoreFactory.all)
    func campaignRefPerCompany(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let (_, campaign) = try await store.acmeWithCampaign()
            let other = try await store.createCompany(name: "Globex", defaultCountry: "DE", defaultLanguage: "de", at: Sample.now)

            let second = try await store.createCampaign(
                companyID: other.id, ref: "spring-sale", name: "Spring", purpose: .informational, at: Sample.now
            )

            #expect(second.id != campaign.id)
            #expect(try await store.campaign(companyID: other.id, ref: "spring-sale")?.purpose == .informational)
        }
    }

    @Test("a campaign for an unknown company is refused", arguments: StoreFactory.all)
    func campaignForUnknownCompany(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            await #expect(throws: StoreError.companyNotFound("co_missing")) {
                try await store.createCampaign(companyID: "co_missing", ref: "x", name: "x", purpose: .marketing, at: Sample.now)
            }
        }
    }

    @Test("issued links come back in input order with distinct, well-formed codes", arguments: StoreFactory.all)
    func issueLinks(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let (company, campaign) = try await store.acmeWithCampaign()
            let phones = try ["+31612345678", "+31612345679", "+4915123456789"].map(Sample.phone)

            let links = try await store.issueLinks(campaign: campaign, phones: phones, codeLength: 10, at: Sample.now)

            #expect(links.map(\.phone) == phones)
            #expect(Set(links.map(\.code)).count == 3)
            #expect(Set(links.map(\.id)).count == 3)
            for link in links {
                #expect(link.code.count == 10)
                #expect(ShortCode.normalise(link.code) == link.code)
                #expect(link.companyID == company.id)
                #expect(link.campaignID == campaign.id)
                #expect(link.campaignRef == "spring-sale")
            }
        }
    }

    @Test("the code length asked for is used", arguments: StoreFactory.all)
    func codeLength(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let (_, campaign) = try await store.acmeWithCampaign()

            let links = try await store.issueLinks(campaign: campaign, phones: [Sample.phone("+31612345678")], codeLength: 16, at: Sample.now)

            #expect(links.first?.code.count == 16)
        }
    }

    @Test("issuing again for the same numbers returns the same codes, in the new order", arguments: StoreFactory.all)
    func reissueIsIdempotent(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let (_, campaign) = try await store.acmeWithCampaign()
            let phones = try ["+31612345678", "+31612345679", "+31612345670"].map(Sample.phone)
            let first = try await store.issueLinks(campaign: campaign, phones: phones, codeLength: 10, at: Sample.now)
            let codeOf = Dictionary(uniqueKeysWithValues: first.map { ($0.phone, $0.code) })

            let again = try await store.issueLinks(
                campaign: campaign, phones: [phones[2], phones[0], phones[1]], codeLength: 10, at: Sample.now.addingTimeInterval(3600)
            )

            #expect(again.map(\.phone) == [phones[2], phones[0], phones[1]])
            #expect(again.map(\.code) == again.map { codeOf[$0.phone] })
            #expect(again.allSatisfy { $0.createdAt == Sample.now })
        }
    }

    @Test("a number twice in one batch gets one code", arguments: StoreFactory.all)
    func duplicatesInBatch(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let (_, campaign) = try await store.acmeWithCampaign()
            let a = try Sample.phone("+31612345678")
            let b = try Sample.phone("+31612345679")

            let links = try await store.issueLinks(campaign: campaign, phones: [a, b, a, a], codeLength: 10, at: Sample.now)

            #expect(links.count == 4)
            #expect(links[0] == links[2])
            #expect(links[0] == links[3])
            #expect(links[0].code != links[1].code)
        }
    }

    @Test("the same number in another campaign gets another code", arguments: StoreFactory.all)
    func otherCampaignOtherCode(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let (company, spring) = try await store.acmeWithCampaign()
            let summer = try await store.createCampaign(companyID: company.id, ref: "summer-sale", name: "Summer", purpose: .marketing, at: Sample.now)
            let number = try Sample.phone("+31612345678")
            let springLink = try await store.issueLinks(campaign: spring, phones: [number], codeLength: 10, at: Sample.now)

            let summerLink = try await store.issueLinks(campaign: summer, phones: [number], codeLength: 10, at: Sample.now)

            #expect(summerLink[0].code != springLink[0].code)
            #expect(try await store.link(code: summerLink[0].code)?.campaignRef == "summer-sale")
        }
    }

    @Test("a link is found by its code, with its campaign's ref", arguments: StoreFactory.all)
    func linkByCode(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let (company, campaign) = try await store.acmeWithCampaign()
            let issued = try await store.issueLinks(campaign: campaign, phones: [Sample.phone("+31612345678")], codeLength: 10, at: Sample.now)

            let found = try await store.link(code: issued[0].code)

            #expect(found == issued[0])
            #expect(found?.campaignRef == "spring-sale")
            #expect(found?.companyID == company.id)
            #expect(found?.phone.e164 == "+31612345678")
        }
    }

    @Test("an unknown code and the placeholder find nothing", arguments: StoreFactory.all)
    func unknownCode(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let (_, campaign) = try await store.acmeWithCampaign()
            _ = try await store.issueLinks(campaign: campaign, phones: [Sample.phone("+31612345678")], codeLength: 10, at: Sample.now)

            let results = (try await store.link(code: ShortCode.placeholder), try await store.link(code: "0000000000"))

            #expect(results.0 == nil)
            #expect(results.1 == nil)
        }
    }

    @Test("parallel issues of the same numbers all get the same codes", arguments: StoreFactory.all)
    func parallelIssue(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let (_, campaign) = try await store.acmeWithCampaign()
            let phones = try (0..<20).map(Sample.phone)

            let batches = try await withThrowingTaskGroup(of: [Link].self) { group in
                for _ in 0..<Sample.writers {
                    group.addTask { try await store.issueLinks(campaign: campaign, phones: phones, codeLength: 10, at: Sample.now) }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }

            let codes = Set(batches.map { $0.map(\.code) })
            #expect(codes.count == 1)
            #expect(codes.first.map { Set($0).count } == phones.count)
        }
    }

    @Test("large batches issued at once, overlapping in opposite orders, agree on every shared number's code", arguments: StoreFactory.all)
    func parallelLargeBatches(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let (_, campaign) = try await store.acmeWithCampaign()
            let first = try (0..<20_000).map(Sample.phone)
            let second = try (10_000..<30_000).reversed().map(Sample.phone)

            async let a = store.issueLinks(campaign: campaign, phones: first, codeLength: 10, at: Sample.now)
            async let b = store.issueLinks(campaign: campaign, phones: second, codeLength: 10, at: Sample.now)
            let (linksA, linksB) = try await (a, b)

            #expect(linksA.map(\.phone) == first)
            #expect(linksB.map(\.phone) == second)
            let codeOf = Dictionary(uniqueKeysWithValues: linksA.map { ($0.phone, $0.code) })
            let shared = linksB.filter { codeOf[$0.phone] != nil }
            #expect(shared.count == 10_000)
            #expect(shared.allSatisfy { codeOf[$0.phone] == $0.code })
            #expect(Set(linksA.map(\.code) + linksB.map(\.code)).count == 30_000)
            #expect(Set(linksA.map(\.id) + linksB.map(\.id)).count == 30_000)
            let last = try #require(linksB.first)
            #expect(try await store.link(code: last.code) == last)
        }
    }
}
