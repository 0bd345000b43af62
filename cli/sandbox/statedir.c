/*
 * statedir.c: the sandbox state directory: path joining, creating the
 * directory (0700), and reading and atomically writing the files in it
 * (temporary file, fsync, rename, fsync of the directory).
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sandbox.h"

/* Join the state dir and a file name; caller frees. */
char *
sbx_path(const char *state_dir, const char *file)
{
	size_t	 n = strlen(state_dir);

	while (n > 1 && state_dir[n - 1] == '/')
		n--;
	if (file == NULL || *file == '\0')
		return xstrndup(state_dir, n);
	return xasprintf("%.*s/%s", (int)n, state_dir, file);
}

/* Create dir and its missing parents; the last component is made 0700. */
int
sbx_mkdirs(const char *dir, struct err *e)
{
	char		*p, *s;
	struct stat	 st;
	int		 rc = -1;

	p = xstrdup(dir);
	for (s = p + 1; *s != '\0'; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0755) == -1 && errno != EEXIST) {
			err_set(e, EXIT_ERR, "cannot create directory %s: %s",
			    p, strerror(errno));
			goto out;
		}
		*s = '/';
	}
	if (mkdir(p, 0700) == -1 && errno != EEXIST) {
		err_set(e, EXIT_ERR, "cannot create directory %s: %s", p,
		    strerror(errno));
		goto out;
	}
	if (stat(p, &st) == -1 || !S_ISDIR(st.st_mode)) {
		err_set(e, EXIT_ERR, "cannot use %s as the sandbox state "
		    "directory: not a directory", p);
		goto out;
	}
	rc = 0;
out:
	free(p);
	return rc;
}

/* Read a whole file (NUL-terminated, *len without the NUL); NULL on error,
 * with errno kept so callers can tell ENOENT apart. */
char *
sbx_read_file(const char *path, size_t *len, struct err *e)
{
	struct strbuf	 sb = STRBUF_INIT;
	char		 buf[8192];
	ssize_t		 n;
	int		 fd, saved;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		saved = errno;
		err_set(e, EXIT_ERR, "cannot read %s: %s", path,
		    strerror(saved));
		errno = saved;
		return NULL;
	}
	sb_init(&sb);
	for (;;) {
		n = read(fd, buf, sizeof buf);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			saved = errno;
			err_set(e, EXIT_ERR, "cannot read %s: %s", path,
			    strerror(saved));
			close(fd);
			sb_free_secret(&sb);
			errno = saved;
			return NULL;
		}
		if (n == 0)
			break;
		sb_add(&sb, buf, (size_t)n);
	}
	close(fd);
	explicit_bzero(buf, sizeof buf);
	if (len != NULL)
		*len = sb.len;
	return sb_detach(&sb);
}

static int
write_all(int fd, const void *buf, size_t len)
{
	const char	*p = buf;
	ssize_t		 n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static void
fsync_parent(const char *path)
{
	char	*dir, *slash;
	int	 fd;

	dir = xstrdup(path);
	if ((slash = strrchr(dir, '/')) == NULL)
		strcpy(dir, ".");
	else if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1) {
		fsync(fd);
		close(fd);
	}
	free(dir);
}

/*
 * Write a file atomically with the given mode: a temporary file beside it
 * (created 0600, so a secret is never readable by others, not even for a
 * moment), fsync, then rename over path.  With exclusive set, an existing
 * path is kept and the call fails with EEXIST in errno (link, not rename).
 */
static int
write_file(const char *path, const void *buf, size_t len, int mode,
    int exclusive, struct err *e)
{
	char	*tmp;
	int	 fd, rc = -1, saved = 0, renamed = 0;

	tmp = xasprintf("%s.tmp.XXXXXX", path);
	if ((fd = mkostemp(tmp, O_CLOEXEC)) == -1) {
		saved = errno;
		err_set(e, EXIT_ERR, "cannot create %s: %s", path,
		    strerror(saved));
		free(tmp);
		errno = saved;
		return -1;
	}
	if (fchmod(fd, (mode_t)mode) == -1 || write_all(fd, buf, len) == -1 ||
	    fsync(fd) == -1) {
		saved = errno;
		err_set(e, EXIT_ERR, "cannot write %s: %s", path,
		    strerror(saved));
		close(fd);
		goto out;
	}
	if (close(fd) == -1) {
		saved = errno;
		err_set(e, EXIT_ERR, "cannot write %s: %s", path,
		    strerror(saved));
		goto out;
	}
	if (exclusive) {
		if (link(tmp, path) == -1) {
			saved = errno;
			if (saved != EEXIST)
				err_set(e, EXIT_ERR, "cannot create %s: %s",
				    path, strerror(saved));
			else
				err_set(e, EXIT_ERR, "cannot create %s: "
				    "it exists", path);
			goto out;
		}
	} else if (rename(tmp, path) == -1) {
		saved = errno;
		err_set(e, EXIT_ERR, "cannot write %s: %s", path,
		    strerror(saved));
		goto out;
	} else
		renamed = 1;
	fsync_parent(path);
	rc = 0;
out:
	if (!renamed)
		unlink(tmp);
	free(tmp);
	if (rc == -1)
		errno = saved;
	return rc;
}

/* Write path atomically (temporary file, fsync, rename) with mode. */
int
sbx_write_file(const char *path, const void *buf, size_t len, int mode,
    struct err *e)
{
	return write_file(path, buf, len, mode, 0, e);
}

/* Create path atomically unless it exists; -1 with errno EEXIST if it
 * does (another process won the race), so callers read that one. */
int
sbx_create_file(const char *path, const void *buf, size_t len, int mode,
    struct err *e)
{
	return write_file(path, buf, len, mode, 1, e);
}
