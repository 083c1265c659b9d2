// SPDX-License-Identifier: GPL-2.0
/*
 * writer DEV SECONDS [BLOCK]: the workload a live mirror runs under. Writes
 * BLOCK bytes (default 64 KiB) of fresh data at random aligned offsets of
 * DEV with O_DIRECT, one at a time, for SECONDS, and prints
 * "<bytes/s> <p50 us> <p99 us> <writes>".
 */
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/fs.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	size_t block = argc > 3 ? strtoul(argv[3], NULL, 0) : 65536;
	double secs, t0, t, *lat = NULL;
	size_t n = 0, cap = 0;
	uint64_t size, blocks;
	void *buf;
	int fd;

	if (argc < 3) {
		fprintf(stderr, "usage: writer DEV SECONDS [BLOCK]\n");
		return 2;
	}
	secs = atof(argv[2]);
	fd = open(argv[1], O_WRONLY | O_DIRECT);
	if (fd < 0 || ioctl(fd, BLKGETSIZE64, &size)) {
		perror(argv[1]);
		return 1;
	}
	blocks = size / block;
	if (!blocks || posix_memalign(&buf, 4096, block))
		return 1;
	srandom(getpid());
	t0 = now();
	do {
		off_t off = (off_t)(random() % blocks) * block;
		double s = now();

		memset(buf, (int)n, block);
		((uint64_t *)buf)[0] = n;
		if (pwrite(fd, buf, block, off) != (ssize_t)block) {
			perror("pwrite");
			return 1;
		}
		t = now();
		if (n == cap) {
			cap = cap ? 2 * cap : 4096;
			lat = realloc(lat, cap * sizeof(*lat));
			if (!lat)
				return 1;
		}
		lat[n++] = (t - s) * 1e6;
	} while (t - t0 < secs);
	qsort(lat, n, sizeof(*lat), cmp_double);
	printf("%.0f %.0f %.0f %zu\n", n * (double)block / (t - t0),
	       lat[n / 2], lat[(size_t)floor(n * 0.99)], n);
	return 0;
}
