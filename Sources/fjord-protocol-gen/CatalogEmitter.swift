/// Emits the files that span messages: `ApiKey`'s facts from every request definition, and the request
/// dispatch enum over the generated request types.
struct CatalogEmitter {
    /// Every request definition in the input folder (for the ApiKey facts).
    let allRequests: [MessageSpec]
    /// The generated messages.
    let generated: [MessageModel]

    func emitApiKeyFacts() -> String {
        var w = CodeWriter()
        w.lines(StructEmitter.banner(source: "every *Request.json"))
        w.line()
        w.block("extension ApiKey") { w in
            let requests = allRequests.sorted { ($0.apiKey ?? 0) < ($1.apiKey ?? 0) }
            w.docComment(
                "The versions Kafka 3.9's message definitions give this API: what a codec could support, "
                    + "not what Fjord advertises (see ``ApiVersionTable``)."
            )
            w.block("public var definedVersions: ClosedRange<Int16>") { w in
                w.line("switch self {")
                for request in requests {
                    w.line(
                        "case .\(SwiftNaming.apiKeyCase(messageName: request.name)): "
                            + "\(request.validVersions.low)...\(request.validVersions.high)"
                    )
                }
                w.line("}")
            }
            w.line()
            w.docComment(
                "The first version of this API that uses flexible encodings (compact strings and arrays, "
                    + "tagged fields, request header v2), nil if none does."
            )
            w.block("public var firstFlexibleVersion: Int16?") { w in
                w.line("switch self {")
                for request in requests {
                    let value = request.flexibleVersions.isEmpty ? "nil" : "\(request.flexibleVersions.low)"
                    w.line("case .\(SwiftNaming.apiKeyCase(messageName: request.name)): \(value)")
                }
                w.line("}")
            }
            w.line()
            let generatedKeys = Set(generated.filter { $0.isRequest }.compactMap { $0.spec.apiKey })
            w.docComment("The generated request codec for this API, nil when Fjord generates none.")
            w.block("public var requestType: (any KafkaRequest.Type)?") { w in
                w.line("switch self {")
                for request in requests where generatedKeys.contains(request.apiKey!) {
                    w.line("case .\(SwiftNaming.apiKeyCase(messageName: request.name)): \(request.name).self")
                }
                w.line("default: nil")
                w.line("}")
            }
            w.line()
            w.docComment("The generated response codec for this API, nil when Fjord generates none.")
            w.block("public var responseType: (any KafkaResponse.Type)?") { w in
                w.line("switch self {")
                for request in requests where generatedKeys.contains(request.apiKey!) {
                    let response = String(request.name.dropLast("Request".count)) + "Response"
                    w.line("case .\(SwiftNaming.apiKeyCase(messageName: request.name)): \(response).self")
                }
                w.line("default: nil")
                w.line("}")
            }
        }
        return w.text
    }

    func emitRequestBody() -> String {
        let requests = generated.filter { $0.isRequest }.sorted { $0.spec.apiKey! < $1.spec.apiKey! }
        var w = CodeWriter()
        w.lines(StructEmitter.banner(source: "the generated request list"))
        w.line()
        w.line("import KafkaWire")
        w.line("import NIOCore")
        w.line()
        w.docComment(
            "A decoded request body: one case per generated request type, so handlers switch on concrete types "
                + "without existentials. Produce records stay `ByteBuffer` slices of the frame."
        )
        w.block("public enum KafkaRequestBody: Hashable, Sendable") { w in
            for request in requests {
                let name = SwiftNaming.apiKeyCase(messageName: request.spec.name)
                w.line("case \(SwiftNaming.declarationName(name))(\(request.spec.name))")
            }
            w.line()
            w.docComment(
                "Decodes the body of an `apiKey` request at `version`.\n\n- Throws: `KafkaWireError` "
                    + "`.unsupportedVersion` when no codec exists for `apiKey` or the version is outside the codec's "
                    + "versions, and any decoding error of the body."
            )
            w.line("public static func decode(")
            w.line("    apiKey: ApiKey, version: Int16, from buffer: inout ByteBuffer, limits: DecodeLimits")
            w.block(") throws(KafkaWireError) -> KafkaRequestBody") { w in
                w.line("switch apiKey {")
                for request in requests {
                    let name = SwiftNaming.apiKeyCase(messageName: request.spec.name)
                    w.line("case .\(name):")
                    w.indented { w in
                        w.line(
                            "return .\(name)(try \(request.spec.name)(from: &buffer, version: version, limits: limits))"
                        )
                    }
                }
                w.line("default:")
                w.indented { w in
                    w.line(
                        "throw KafkaWireError(.unsupportedVersion, "
                            + "\"no request codec for API key \\(apiKey.rawValue)\")"
                    )
                }
                w.line("}")
            }
            w.line()
            w.docComment("The API key of the request.")
            w.block("public var apiKey: ApiKey") { w in
                w.line("switch self {")
                for request in requests {
                    let name = SwiftNaming.apiKeyCase(messageName: request.spec.name)
                    w.line("case .\(name): .\(name)")
                }
                w.line("}")
            }
            w.line()
            w.docComment("The request as an existential, for code that handles every request alike (logging, metrics).")
            w.block("public var message: any KafkaRequest") { w in
                w.line("switch self {")
                for request in requests {
                    let name = SwiftNaming.apiKeyCase(messageName: request.spec.name)
                    w.line("case .\(name)(let request): request")
                }
                w.line("}")
            }
            w.line()
            w.docComment("Encodes the body at `version` (see each message's `write(to:version:)`).")
            w.block("public func write(to buffer: inout ByteBuffer, version: Int16)") { w in
                w.line("switch self {")
                for request in requests {
                    let name = SwiftNaming.apiKeyCase(messageName: request.spec.name)
                    w.line("case .\(name)(let request): request.write(to: &buffer, version: version)")
                }
                w.line("}")
            }
        }
        return w.text
    }

    func emitSampleCatalog() -> String {
        var w = CodeWriter()
        w.lines(StructEmitter.banner(source: "the generated message list"))
        w.line()
        w.line("import KafkaProtocol")
        w.line()
        w.docComment("Every generated message type, for tests that run over all of them.")
        w.line("let allSampledMessageTypes: [any SampledMessage.Type] = [")
        w.indented { w in
            for model in generated.sorted(by: { $0.spec.name < $1.spec.name }) {
                w.line("\(model.spec.name).self,")
            }
        }
        w.line("]")
        return w.text
    }
}
