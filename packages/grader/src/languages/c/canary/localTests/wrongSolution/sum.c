#include <stdio.h>

static int sum_to(int n) {
    int s = 0;
    for (int i = 1; i < n; i++) s += i;
    return s;
}

int main(void) {
    int n = 0;
    if (scanf("%d", &n) != 1) return 2;
    printf("n = %d\nsum = %d\n", n, sum_to(n));
    return 0;
}
