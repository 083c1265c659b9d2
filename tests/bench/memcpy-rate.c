// SPDX-License-Identifier: GPL-2.0
/*
 * memcpy-rate [MiB]: bytes per second one CPU copies between two buffers
 * larger than any cache, the ceiling of a copy that moves every byte
 * through the CPU (brd to brd copies each byte twice: disk to buffer,
 * buffer to disk). Prints the rate in bytes per second.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	size_t mib = argc > 1 ? strtoul(argv[1], NULL, 0) : 64;
	size_t len = mib << 20, total = 0;
	char *a = malloc(len), *b = malloc(len);
	double t0, t;

	if (!a || !b)
		return 1;
	memset(a, 1, len);	/* fault every page in before timing */
	memset(b, 2, len);
	t0 = now();
	do {
		memcpy(b, a, len);
		memcpy(a, b, len);
		total += 2 * len;
		t = now();
	} while (t - t0 < 2.0);
	printf("%.0f\n", total / (t - t0));
	return a[len - 1] == 7;	/* keep the copies from being optimised out */
}
