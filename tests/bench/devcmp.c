// SPDX-License-Identifier: GPL-2.0
/*
 * devcmp A B: compare two block devices (or files) over their whole length,
 * reading both with O_DIRECT in 1 MiB blocks so that the check neither
 * uses nor fills the page cache (a buffered cmp of two 1 GiB devices
 * would leave 2 GiB of cache behind, under the next tool's timing).
 * Prints "<differing MiB blocks> <MiB blocks> <first differing byte or
 * -1>" and exits 0 if A and B are identical and of the same size, 1 if
 * they differ (a size difference counts as differing), 2 on an error.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <linux/fs.h>
#include <unistd.h>

#define BLOCK (1 << 20)

static int open_size(const char *path, uint64_t *size)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_DIRECT);

	if (fd < 0 || fstat(fd, &st)) {
		perror(path);
		return -1;
	}
	if (S_ISBLK(st.st_mode)) {
		if (ioctl(fd, BLKGETSIZE64, size)) {
			perror(path);
			return -1;
		}
	} else {
		*size = st.st_size;
	}
	return fd;
}

/* Read len bytes at off, or fewer only at the end of the file. */
static ssize_t read_block(int fd, const char *path, void *buf, size_t len,
			  off_t off)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = pread(fd, (char *)buf + done, len - done,
				  off + done);

		if (n < 0) {
			perror(path);
			return -1;
		}
		if (!n)
			break;
		done += n;
	}
	return done;
}

int main(int argc, char **argv)
{
	uint64_t size_a, size_b, off, diff = 0, blocks = 0;
	int64_t first = -1;
	void *a, *b;
	int fa, fb;

	if (argc != 3) {
		fprintf(stderr, "usage: devcmp A B\n");
		return 2;
	}
	fa = open_size(argv[1], &size_a);
	fb = open_size(argv[2], &size_b);
	if (fa < 0 || fb < 0)
		return 2;
	if (posix_memalign(&a, 4096, BLOCK) || posix_memalign(&b, 4096, BLOCK))
		return 2;
	for (off = 0; off < size_a || off < size_b; off += BLOCK) {
		ssize_t na = 0, nb = 0;

		if (off < size_a)
			na = read_block(fa, argv[1], a, BLOCK, off);
		if (off < size_b)
			nb = read_block(fb, argv[2], b, BLOCK, off);
		if (na < 0 || nb < 0)
			return 2;
		blocks++;
		if (na == nb && !memcmp(a, b, na))
			continue;
		diff++;
		if (first < 0) {
			ssize_t i, n = na < nb ? na : nb;

			for (i = 0; i < n && ((char *)a)[i] == ((char *)b)[i];
			     i++)
				;
			first = off + i;
		}
	}
	printf("%llu %llu %lld\n", (unsigned long long)diff,
	       (unsigned long long)blocks, (long long)first);
	return diff ? 1 : 0;
}
