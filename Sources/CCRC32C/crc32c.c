#include "crc32c.h"

#include <string.h>

// The reflected Castagnoli polynomial.
#define POLY 0x82F63B78u

static uint32_t table[8][256];
static int table_ready;

// Slicing-by-8 tables: the portable path, and the reference the hardware path must match.
static void build_table(void) {
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t c = n;
        for (int k = 0; k < 8; k++) c = c & 1 ? (c >> 1) ^ POLY : c >> 1;
        table[0][n] = c;
    }
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t c = table[0][n];
        for (int k = 1; k < 8; k++) {
            c = table[0][c & 0xFF] ^ (c >> 8);
            table[k][n] = c;
        }
    }
    __atomic_store_n(&table_ready, 1, __ATOMIC_RELEASE);
}

static uint32_t crc32c_software(uint32_t crc, const uint8_t *p, size_t n) {
    if (!__atomic_load_n(&table_ready, __ATOMIC_ACQUIRE)) build_table();  // idempotent: a race only builds it twice
    crc = ~crc;
    while (n >= 8) {
        uint64_t word;
        memcpy(&word, p, 8);
        word ^= crc;
        crc = table[7][word & 0xFF] ^ table[6][(word >> 8) & 0xFF] ^ table[5][(word >> 16) & 0xFF] ^
              table[4][(word >> 24) & 0xFF] ^ table[3][(word >> 32) & 0xFF] ^ table[2][(word >> 40) & 0xFF] ^
              table[1][(word >> 48) & 0xFF] ^ table[0][word >> 56];
        p += 8;
        n -= 8;
    }
    while (n--) crc = table[0][(crc ^ *p++) & 0xFF] ^ (crc >> 8);
    return ~crc;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2")))
static uint32_t crc32c_hardware(uint32_t crc, const uint8_t *p, size_t n) {
    uint64_t c = ~crc;
    while (n >= 8) {
        uint64_t word;
        memcpy(&word, p, 8);
        c = __builtin_ia32_crc32di(c, word);
        p += 8;
        n -= 8;
    }
    uint32_t c32 = (uint32_t)c;
    while (n--) c32 = __builtin_ia32_crc32qi(c32, *p++);
    return ~c32;
}
#endif

uint32_t tickforge_crc32c_table(uint32_t crc, const void *data, size_t length) {
    return crc32c_software(crc, data, length);
}

uint32_t tickforge_crc32c(uint32_t crc, const void *data, size_t length) {
#if defined(__x86_64__)
    if (__builtin_cpu_supports("sse4.2")) return crc32c_hardware(crc, data, length);
#endif
    return crc32c_software(crc, data, length);
}

// Carry-less multiplication of a and b modulo the polynomial, in the reflected representation
// (bit 31 is x^0).
static uint32_t multiply(uint32_t a, uint32_t b) {
    uint32_t product = 0;
    for (uint32_t bit = 0x80000000u; bit; bit >>= 1) {
        if (a & bit) product ^= b;
        b = b & 1 ? (b >> 1) ^ POLY : b >> 1;
    }
    return product;
}

uint32_t tickforge_crc32c_combine(uint32_t first, uint32_t second, uint64_t second_length) {
    // first · x^(8·length) mod P, by squaring: x^(2^k) for each set bit of 8·length.
    uint32_t power = 0x40000000u;  // x^1
    uint32_t shift = 0x80000000u;  // x^0
    for (uint64_t bits = second_length * 8; bits; bits >>= 1) {
        if (bits & 1) shift = multiply(shift, power);
        power = multiply(power, power);
    }
    return multiply(first, shift) ^ second;
}
