/* A tokenizer for arithmetic expressions and an evaluator (shunting-yard). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>

enum kind { NUMBER, PLUS, MINUS, STAR, SLASH, LPAREN, RPAREN, END, BAD };

struct token {
    enum kind kind;
    long value;
};

static const char *kind_name(enum kind k)
{
    switch (k) {
    case NUMBER: return "number";
    case PLUS: return "+";
    case MINUS: return "-";
    case STAR: return "*";
    case SLASH: return "/";
    case LPAREN: return "(";
    case RPAREN: return ")";
    case END: return "end";
    default: return "bad";
    }
}

static int tokenize(const char *s, struct token *out, int max)
{
    int n = 0;
    while (n < max - 1) {
        while (isspace((unsigned char)*s))
            s++;
        if (*s == '\0')
            break;
        out[n].value = 0;
        if (isdigit((unsigned char)*s)) {
            long v = 0;
            while (isdigit((unsigned char)*s)) {
                v = v * 10 + (*s - '0');
                s++;
            }
            out[n].kind = NUMBER;
            out[n].value = v;
        } else {
            switch (*s) {
            case '+': out[n].kind = PLUS; break;
            case '-': out[n].kind = MINUS; break;
            case '*': out[n].kind = STAR; break;
            case '/': out[n].kind = SLASH; break;
            case '(': out[n].kind = LPAREN; break;
            case ')': out[n].kind = RPAREN; break;
            default:
                out[n].kind = BAD;
            }
            s++;
        }
        n++;
    }
    out[n].kind = END;
    out[n].value = 0;
    return n;
}

static int precedence(enum kind k)
{
    if (k == STAR || k == SLASH)
        return 2;
    else if (k == PLUS || k == MINUS)
        return 1;
    return 0;
}

static int apply(long *stack, int *depth, enum kind op)
{
    long a, b;
    if (*depth < 2)
        return -1;
    b = stack[--*depth];
    a = stack[--*depth];
    switch (op) {
    case PLUS: a += b; break;
    case MINUS: a -= b; break;
    case STAR: a *= b; break;
    case SLASH:
        if (b == 0)
            return -1;
        a /= b;
        break;
    default:
        return -1;
    }
    stack[(*depth)++] = a;
    return 0;
}

/* Evaluates the tokens; returns 0 and stores the value, or -1 on a malformed expression. */
static int evaluate(const struct token *t, long *result)
{
    long values[64];
    enum kind ops[64];
    int nv = 0, no = 0, i;
    for (i = 0; t[i].kind != END; i++) {
        enum kind k = t[i].kind;
        if (k == NUMBER) {
            values[nv++] = t[i].value;
        } else if (k == LPAREN) {
            ops[no++] = k;
        } else if (k == RPAREN) {
            while (no > 0 && ops[no - 1] != LPAREN)
                if (apply(values, &nv, ops[--no]) != 0)
                    return -1;
            if (no == 0)
                return -1;
            no--;
        } else if (k == BAD) {
            return -1;
        } else {
            while (no > 0 && precedence(ops[no - 1]) >= precedence(k)) {
                if (apply(values, &nv, ops[--no]) != 0)
                    return -1;
            }
            ops[no++] = k;
        }
    }
    while (no > 0) {
        if (ops[no - 1] == LPAREN || apply(values, &nv, ops[--no]) != 0)
            return -1;
    }
    if (nv != 1)
        return -1;
    *result = values[0];
    return 0;
}

int main(void)
{
    static const char *inputs[] = {"1 + 2 * 3", "(1 + 2) * 3", "100 / (4 - 4)", "2 * (3 + 4) - 5 / 2",
                                   "7 $ 3", "((42))", "8 / 2 / 2"};
    struct token tokens[64];
    size_t i;
    for (i = 0; i < sizeof inputs / sizeof inputs[0]; i++) {
        long value = 0;
        int n = tokenize(inputs[i], tokens, 64), j;
        printf("%-22s %2d tokens:", inputs[i], n);
        for (j = 0; j < n; j++)
            printf(" %s", kind_name(tokens[j].kind));
        if (evaluate(tokens, &value) == 0)
            printf(" = %ld\n", value);
        else
            printf(" = error\n");
    }
    return EXIT_SUCCESS;
}
