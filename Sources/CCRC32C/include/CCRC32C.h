// CRC-32C (Castagnoli), the checksum of Kafka record batches (magic v2).
#ifndef FJORD_CCRC32C_H
#define FJORD_CCRC32C_H
#include <stddef.h>
#include <stdint.h>

/// Extends `crc` (0 to start) over `len` bytes at `buf` and returns the new CRC-32C.
/// Chaining holds: fjord_crc32c(fjord_crc32c(0, a, n), b, m) == CRC of a followed by b.
/// Uses the SSE4.2 crc32 instruction (three interleaved streams) when the CPU has it, else slicing-by-8 tables.
uint32_t fjord_crc32c(uint32_t crc, const void *buf, size_t len);

/// The software path alone (for tests and the benchmark's comparison).
uint32_t fjord_crc32c_software(uint32_t crc, const void *buf, size_t len);

/// 1 when the hardware path is in use.
int fjord_crc32c_hardware_available(void);

#endif
