/* Checksums over byte strings: CRC-32, Adler-32, Fletcher-16 and a parity byte. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static uint32_t crc_table[256];

static void crc32_init(void)
{
    uint32_t n, c;
    int k;
    for (n = 0; n < 256; n++) {
        c = n;
        for (k = 0; k < 8; k++) {
            if (c & 1)
                c = 0xEDB88320u ^ (c >> 1);
            else
                c = c >> 1;
        }
        crc_table[n] = c;
    }
}

static uint32_t crc32(const unsigned char *buf, size_t len)
{
    uint32_t c = 0xFFFFFFFFu;
    size_t i;
    for (i = 0; i < len; i++)
        c = crc_table[(c ^ buf[i]) & 0xFF] ^ (c >> 8);
    return c ^ 0xFFFFFFFFu;
}

static uint32_t adler32(const unsigned char *buf, size_t len)
{
    uint32_t a = 1, b = 0;
    while (len > 0) {
        a = (a + *buf++) % 65521;
        b = (b + a) % 65521;
        len--;
    }
    return (b << 16) | a;
}

static uint16_t fletcher16(const unsigned char *data, size_t count)
{
    uint16_t sum1 = 0;
    uint16_t sum2 = 0;
    size_t index;
    for (index = 0; index < count; ++index) {
        sum1 = (sum1 + data[index]) % 255;
        sum2 = (sum2 + sum1) % 255;
    }
    return (uint16_t)((sum2 << 8) | sum1);
}

static unsigned char parity(const unsigned char *buf, size_t len)
{
    unsigned char p = 0;
    size_t i = 0;
    do {
        if (len == 0)
            break;
        p ^= buf[i];
        i++;
    } while (i < len);
    return p;
}

static int count_bits(uint32_t x)
{
    int bits = 0;
    while (x) {
        x &= x - 1;
        bits++;
    }
    return bits;
}

int main(void)
{
    const char *samples[] = {"", "a", "abc", "message digest", "The quick brown fox jumps over the lazy dog"};
    int i;
    crc32_init();
    for (i = 0; i < 5; i++) {
        const unsigned char *s = (const unsigned char *)samples[i];
        size_t n = strlen(samples[i]);
        uint32_t crc = crc32(s, n);
        printf("%-45s crc32=%08x adler32=%08x fletcher16=%04x parity=%02x bits=%d\n", samples[i],
               (unsigned)crc, (unsigned)adler32(s, n), (unsigned)fletcher16(s, n), parity(s, n), count_bits(crc));
    }
    return 0;
}
