// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libblkjob: LVM's devices file (lvmdevices(8)). When it is in use, LVM
 * only looks at the devices it lists: a PV moved onto a new disk must be
 * listed there, and its old disk no longer, or the next activation does
 * not find the volume group. LVM owns the file's format (device ids by
 * wwid, serial, loop backing file, ...), so its own tool edits it,
 * through the lvm binary (Debian installs no lvmdevices link).
 */
#define _GNU_SOURCE		/* pipe2 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include "libblkjob.h"

/* Run @argv with stdin and stderr on /dev/null; its stdout into @out. */
static int run(char *const argv[], char *out, size_t len)
{
	int pfd[2], null, status;
	size_t used = 0;
	ssize_t n;
	pid_t pid;

	if (pipe2(pfd, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid < 0) {
		close(pfd[0]);
		close(pfd[1]);
		return -errno;
	}
	if (!pid) {
		null = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (null < 0 || dup2(null, 0) < 0 || dup2(pfd[1], 1) < 0 ||
		    dup2(null, 2) < 0)
			_exit(127);
		/* lvm warns about every descriptor it inherits. */
		setenv("LVM_SUPPRESS_FD_WARNINGS", "1", 1);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(pfd[1]);
	while (len && used < len - 1 &&
	       (n = read(pfd[0], out + used, len - 1 - used)) > 0)
		used += n;
	if (len)
		out[used] = '\0';
	close(pfd[0]);
	if (waitpid(pid, &status, 0) < 0)
		return -errno;
	if (!WIFEXITED(status))
		return -EINTR;
	return WEXITSTATUS(status);
}

/* 1 when LVM's configuration says the devices file is in use. */
static int in_use(void)
{
	char *const argv[] = {
		"lvm", "lvmconfig", "--typeconfig", "current",
		"devices/use_devicesfile", NULL,
	};
	char out[128];
	int r = run(argv, out, sizeof(out));

	if (r == 127)
		return 0;	/* no LVM here */
	if (r)
		return r < 0 ? r : -EIO;
	return strstr(out, "use_devicesfile=1") != NULL;
}

/* lvmdevices @op @path, when the devices file is in use. */
static int edit(const char *op, const char *path, char *why, size_t len)
{
	char *const argv[] = {
		"lvm", "lvmdevices", "--yes", (char *)op, (char *)path, NULL,
	};
	char out[256];
	int r = in_use();

	if (r <= 0) {
		if (r)
			snprintf(why, len, "cannot ask lvmconfig whether LVM's devices file is in use");
		return r;
	}
	r = run(argv, out, sizeof(out));
	if (r) {
		snprintf(why, len, "'lvmdevices %s %s' failed (%d)", op, path,
			 r);
		return r < 0 ? r : -EIO;
	}
	return 1;
}

int blkjob_lvm_devices_add(const char *path, char *why, size_t len)
{
	return edit("--adddev", path, why, len);
}

int blkjob_lvm_devices_del(const char *path, char *why, size_t len)
{
	return edit("--deldev", path, why, len);
}
