/* A fixed-size ring buffer of bytes with a small self-test. */
#include <stdio.h>
#include <string.h>

#define CAPACITY 8

struct ring {
    unsigned char data[CAPACITY];
    size_t head; /* next byte to read */
    size_t count;
};

static void ring_init(struct ring *r)
{
    memset(r->data, 0, sizeof r->data);
    r->head = 0;
    r->count = 0;
}

static int ring_push(struct ring *r, unsigned char byte)
{
    size_t tail;
    if (r->count == CAPACITY)
        return -1;
    tail = (r->head + r->count) % CAPACITY;
    r->data[tail] = byte;
    r->count++;
    return 0;
}

static int ring_pop(struct ring *r, unsigned char *out)
{
    if (r->count == 0) {
        return -1;
    }
    *out = r->data[r->head];
    r->head = (r->head + 1) % CAPACITY;
    r->count -= 1;
    return 0;
}

/* Copies up to n bytes out without consuming them; returns how many were copied. */
static size_t ring_peek(const struct ring *r, unsigned char *dst, size_t n)
{
    size_t i;
    if (n > r->count)
        n = r->count;
    for (i = 0; i < n; i++) {
        dst[i] = r->data[(r->head + i) % CAPACITY];
    }
    return n;
}

static size_t ring_write(struct ring *r, const char *s)
{
    size_t written = 0;
    while (*s != '\0' && ring_push(r, (unsigned char)*s) == 0) {
        s++;
        written++;
    }
    return written;
}

static void ring_print(const struct ring *r)
{
    unsigned char buf[CAPACITY];
    size_t n = ring_peek(r, buf, CAPACITY), i;
    printf("[%zu] ", r->count);
    for (i = 0; i < n; ++i)
        putchar(buf[i] >= 32 && buf[i] < 127 ? buf[i] : '.');
    putchar('\n');
}

int main(void)
{
    struct ring r;
    unsigned char c;
    int popped = 0;
    ring_init(&r);
    printf("wrote %zu\n", ring_write(&r, "hello"));
    ring_print(&r);
    while (popped < 3 && ring_pop(&r, &c) == 0) {
        printf("pop %c\n", c);
        popped++;
    }
    printf("wrote %zu\n", ring_write(&r, ", world!"));
    ring_print(&r);
    for (;;) {
        if (ring_pop(&r, &c) != 0)
            break;
        putchar(c);
    }
    putchar('\n');
    ring_print(&r);
    return 0;
}
