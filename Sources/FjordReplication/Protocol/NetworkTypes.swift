import FjordNetwork

// FjordNetwork's response type shares its name with KafkaProtocol's `KafkaResponse` protocol; files that import both
// use these names.
typealias NetworkResponse = KafkaResponse
typealias ResponsePart = KafkaResponse.Part
