#ifndef TICKFORGE_CRC32C_H
#define TICKFORGE_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78, initial and final XOR 0xFFFFFFFF) of
/// `length` bytes, continuing from `crc` (0 to start). Uses the CPU's CRC32 instruction where
/// there is one (x86-64 with SSE 4.2), a table otherwise: the same value either way.
uint32_t tickforge_crc32c(uint32_t crc, const void *data, size_t length);

/// The same CRC-32C from the table, whatever the CPU (what machines without the instruction
/// use; tests compare the two).
uint32_t tickforge_crc32c_table(uint32_t crc, const void *data, size_t length);

/// The CRC-32C of A followed by B from the CRC-32Cs of each and B's length, without reading
/// either again (O(log length) operations).
uint32_t tickforge_crc32c_combine(uint32_t first, uint32_t second, uint64_t second_length);

#endif
