/* Path resolution over a tiny in-memory filesystem: a static table of
 * directories, files and symlinks, served through lookup and readlink. */
#include <criterion/criterion.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "kernel/vfs/vfs.h"

#define MAX_NODES 128
#define CHAIN 41	/* c0 -> c1 -> ... -> c40 -> file: c0 needs 41 links */

struct fnode {
	int parent;		/* index; -1 for a filesystem's root */
	const char *name;
	unsigned mode;
	const char *target;	/* symlinks */
	bool cacheable;
};

static struct fnode nodes[MAX_NODES];
static int nnodes;
static int lookups;		/* calls into the filesystem */

static int add(int parent, const char *name, unsigned mode, const char *target, bool cacheable)
{
	cr_assert_lt(nnodes, MAX_NODES);
	nodes[nnodes] = (struct fnode){ parent, name, mode, target, cacheable };
	return nnodes++;
}

static int node_of(struct inode *ino)
{
	return (int)(intptr_t)ino->priv;
}

static const struct inode_ops fake_ops;

static struct inode *fake_inode(int id)
{
	struct inode *ino = inode_new(&fake_ops, (void *)(intptr_t)id);

	cr_assert_not_null(ino);
	ino->stx.stx_mode = nodes[id].mode;
	ino->stx.stx_ino = (uint64_t)id + 1;
	ino->stx.stx_size = nodes[id].target ? strlen(nodes[id].target) : 0;
	ino->cacheable = nodes[id].cacheable;
	return ino;
}

static int fake_lookup(struct inode *dir, const char *name, struct inode **out)
{
	int d = node_of(dir);

	lookups++;
	cr_assert(S_ISDIR(nodes[d].mode), "lookup in a non-directory %s", nodes[d].name);
	cr_assert(strcmp(name, ".") && strcmp(name, ".."), "the VFS handles \"%s\" itself", name);
	for (int i = 0; i < nnodes; i++) {
		if (nodes[i].parent == d && strcmp(nodes[i].name, name) == 0) {
			*out = fake_inode(i);
			return 0;
		}
	}
	return -ENOENT;
}

static int fake_readlink(struct inode *ino, char *buf, size_t size)
{
	const char *t = nodes[node_of(ino)].target;
	size_t n;

	cr_assert_not_null(t);
	n = strlen(t);
	if (n > size)
		n = size;
	memcpy(buf, t, n);	/* like readlink(2): no NUL */
	return (int)n;
}

static const struct inode_ops fake_ops = {
	.lookup = fake_lookup,
	.readlink = fake_readlink,
};

#define DIR_ (S_IFDIR | 0755)
#define REG_ (S_IFREG | 0644)
#define LNK_ (S_IFLNK | 0777)

/* The world: filesystem a at /, filesystem b (uncached, like proc) on /mnt. */
static struct path root, mnt_root;
static struct mount *mnt_a, *mnt_b;
static char chain_names[CHAIN][8], chain_targets[CHAIN][8];

static void setup(void)
{
	int a, dir, b, inner;
	struct path mp;

	nnodes = 0;
	a = add(-1, "/", DIR_, NULL, true);
	dir = add(a, "dir", DIR_, NULL, true);
	add(dir, "sub", DIR_, NULL, true);
	add(dir, "file", REG_, NULL, true);
	add(dir, "up", LNK_, "../../../file", true);
	add(dir, "uplink", LNK_, "../../../dir", true);
	add(dir, "absin", LNK_, "/sub", true);
	add(a, "file", REG_, NULL, true);
	add(a, "mnt", DIR_, NULL, true);
	add(a, "abs", LNK_, "/dir/sub", true);
	add(a, "rel", LNK_, "dir/sub", true);
	add(a, "flink", LNK_, "file", true);
	add(a, "dlink", LNK_, "dir", true);
	add(a, "dslash", LNK_, "dir/", true);
	add(a, "loop", LNK_, "loop", true);
	add(a, "loopa", LNK_, "loopb", true);
	add(a, "loopb", LNK_, "loopa", true);
	add(a, "dangling", LNK_, "/nonexistent", true);
	add(a, "empty", LNK_, "", true);
	add(a, "tomnt", LNK_, "mnt/inner", true);
	for (int i = 0; i < CHAIN; i++) {
		snprintf(chain_names[i], sizeof(chain_names[i]), "c%d", i);
		if (i + 1 < CHAIN)
			snprintf(chain_targets[i], sizeof(chain_targets[i]), "c%d", i + 1);
		else
			snprintf(chain_targets[i], sizeof(chain_targets[i]), "file");
		add(a, chain_names[i], LNK_, chain_targets[i], true);
	}

	b = add(-1, "/", DIR_, NULL, false);
	inner = add(b, "inner", DIR_, NULL, false);
	add(inner, "x", REG_, NULL, false);
	add(b, "bfile", REG_, NULL, false);
	add(b, "toparent", LNK_, "../file", false);
	add(b, "absb", LNK_, "/dir", false);

	root.d = dentry_new_root(fake_inode(a));
	cr_assert_not_null(root.d);
	mnt_a = vfs_mount(NULL, NULL, root.d, "fake", "a", 0);
	cr_assert_not_null(mnt_a);
	dentry_put(root.d);	/* the mount holds it */
	root.mnt = mnt_a;

	cr_assert_eq(vfs_lookup(&root, &root, "/mnt", 0, &mp), 0);
	mnt_root.d = dentry_new_root(fake_inode(b));
	mnt_b = vfs_mount(mnt_a, mp.d, mnt_root.d, "fakeb", "b", 0);
	cr_assert_not_null(mnt_b);
	dentry_put(mnt_root.d);
	mnt_root.mnt = mnt_b;
	path_put(&mp);
	lookups = 0;
}

TestSuite(vfs_path, .init = setup);

/* Resolves path from start; returns the error, or 0 with the result in *out. */
static int look(const struct path *r, const struct path *start, const char *path, int flags, struct path *out)
{
	out->mnt = NULL;
	out->d = NULL;
	return vfs_lookup(r, start, path, flags, out);
}

/* Asserts path resolves (from root) to the absolute name want. */
static void expect_name(const struct path *r, const struct path *start, const char *path, int flags,
			const char *want)
{
	struct path p;
	char buf[PATH_MAX];
	int err = look(r, start, path, flags, &p);

	cr_assert_eq(err, 0, "\"%s\": %d", path, err);
	cr_assert_geq(vfs_path_name(r, &p, buf, sizeof(buf)), 0);
	cr_assert_str_eq(buf, want, "\"%s\" resolved to \"%s\", not \"%s\"", path, buf, want);
	path_put(&p);
}

static void expect_err(const struct path *r, const struct path *start, const char *path, int flags, int want)
{
	struct path p;
	int err = look(r, start, path, flags, &p);

	cr_assert_eq(err, want, "\"%s\": got %d, want %d", path, err, want);
	if (err == 0)
		path_put(&p);
	else
		cr_assert_null(p.d, "\"%s\": failure leaves *out alone", path);
}

static struct path at(const char *path)
{
	struct path p;

	cr_assert_eq(vfs_lookup(&root, &root, path, 0, &p), 0, "%s", path);
	return p;
}

static bool is_mode(const struct path *p, unsigned type)
{
	return (p->d->inode->stx.stx_mode & S_IFMT) == type;
}

Test(vfs_path, simple)
{
	struct path p, dir = at("/dir");

	cr_assert_eq(look(&root, &root, "/dir/sub", 0, &p), 0);
	cr_assert_str_eq(p.d->name, "sub");
	cr_assert_eq(p.mnt, mnt_a);
	cr_assert(is_mode(&p, S_IFDIR));
	path_put(&p);
	expect_name(&root, &dir, "sub", 0, "/dir/sub");
	expect_name(&root, &dir, "file", 0, "/dir/file");
	expect_name(&root, &dir, "/file", 0, "/file");
	expect_name(&root, &root, "//dir///sub//", 0, "/dir/sub");
	expect_name(&root, &root, "/./dir/./sub/.", 0, "/dir/sub");
	expect_name(&root, &root, "/", 0, "/");
	expect_name(&root, &dir, ".", 0, "/dir");
	expect_err(&root, &root, "/nonexistent", 0, -ENOENT);
	expect_err(&root, &root, "/nonexistent/x", 0, -ENOENT);
	expect_err(&root, &root, "/nonexistent/", 0, -ENOENT);
	expect_err(&root, &root, "/file/x", 0, -ENOTDIR);
	path_put(&dir);
}

Test(vfs_path, dotdot_stops_at_root)
{
	struct path dir = at("/dir"), sub = at("/dir/sub");

	expect_name(&root, &root, "/..", 0, "/");
	expect_name(&root, &root, "..", 0, "/");
	expect_name(&root, &root, "/../../..", 0, "/");
	expect_name(&root, &root, "/../../dir", 0, "/dir");
	expect_name(&root, &sub, "../../../../../file", 0, "/file");
	expect_name(&root, &sub, "..", 0, "/dir");
	expect_name(&root, &dir, "sub/../sub/../..", 0, "/");
	path_put(&dir);
	path_put(&sub);
}

Test(vfs_path, dotdot_via_symlinks)
{
	expect_name(&root, &root, "/dir/up", LOOKUP_FOLLOW, "/file");
	expect_name(&root, &root, "/dir/uplink/sub", 0, "/dir/sub");
	expect_name(&root, &root, "/dir/uplink/../../../..", 0, "/");
	/* The link itself, when not followed. */
	expect_name(&root, &root, "/dir/up", 0, "/dir/up");
}

Test(vfs_path, chroot)
{
	/* A root of /dir: nothing above it is reachable, not even by links. */
	struct path r = at("/dir");

	expect_name(&r, &r, "/..", 0, "/");
	expect_name(&r, &r, "/../../sub", 0, "/sub");
	expect_name(&r, &r, "../file", 0, "/file");
	expect_name(&r, &r, "up", LOOKUP_FOLLOW, "/file");	/* /dir/file, really */
	expect_name(&r, &r, "absin", LOOKUP_FOLLOW, "/sub");	/* "/sub" is /dir/sub */
	/* "../../../dir" from the root is "dir" under it: /dir/dir, absent. */
	expect_err(&r, &r, "uplink", LOOKUP_FOLLOW, -ENOENT);
	expect_name(&r, &r, "uplink", 0, "/uplink");
	path_put(&r);
}

Test(vfs_path, trailing_slash)
{
	struct path p;

	expect_err(&root, &root, "/file/", 0, -ENOTDIR);
	expect_err(&root, &root, "/file//", 0, -ENOTDIR);
	expect_err(&root, &root, "/file/.", 0, -ENOTDIR);
	expect_err(&root, &root, "/file/..", 0, -ENOTDIR);
	expect_err(&root, &root, "/dir/file/", LOOKUP_FOLLOW, -ENOTDIR);
	expect_name(&root, &root, "/dir/", 0, "/dir");
	/* A trailing slash follows a final symlink even without LOOKUP_FOLLOW. */
	expect_err(&root, &root, "/flink/", 0, -ENOTDIR);
	cr_assert_eq(look(&root, &root, "/dlink/", 0, &p), 0);
	cr_assert(is_mode(&p, S_IFDIR));
	cr_assert_str_eq(p.d->name, "dir");
	path_put(&p);
	/* A target with its own trailing slash. */
	expect_name(&root, &root, "/dslash", LOOKUP_FOLLOW, "/dir");
	expect_name(&root, &root, "/dslash/sub", 0, "/dir/sub");
}

Test(vfs_path, follow_final_symlink)
{
	struct path p;

	cr_assert_eq(look(&root, &root, "/flink", 0, &p), 0);
	cr_assert(is_mode(&p, S_IFLNK), "not followed");
	cr_assert_str_eq(p.d->name, "flink");
	path_put(&p);
	cr_assert_eq(look(&root, &root, "/flink", LOOKUP_FOLLOW, &p), 0);
	cr_assert(is_mode(&p, S_IFREG));
	cr_assert_str_eq(p.d->name, "file");
	path_put(&p);
	/* Links in the middle are always followed. */
	expect_name(&root, &root, "/dlink/sub", 0, "/dir/sub");
	expect_name(&root, &root, "/rel", LOOKUP_FOLLOW, "/dir/sub");
	expect_name(&root, &root, "/abs", LOOKUP_FOLLOW, "/dir/sub");
	expect_name(&root, &root, "/abs/..", 0, "/dir");
	expect_name(&root, &root, "/rel/../file", 0, "/dir/file");
}

Test(vfs_path, lookup_directory)
{
	expect_err(&root, &root, "/file", LOOKUP_DIRECTORY, -ENOTDIR);
	expect_name(&root, &root, "/dir", LOOKUP_DIRECTORY, "/dir");
	expect_name(&root, &root, "/dlink", LOOKUP_DIRECTORY | LOOKUP_FOLLOW, "/dir");
	expect_err(&root, &root, "/dlink", LOOKUP_DIRECTORY, -ENOTDIR);
}

Test(vfs_path, dangling_and_empty_links)
{
	struct path p;

	expect_err(&root, &root, "/dangling", LOOKUP_FOLLOW, -ENOENT);
	expect_err(&root, &root, "/dangling/x", 0, -ENOENT);
	cr_assert_eq(look(&root, &root, "/dangling", 0, &p), 0);
	cr_assert(is_mode(&p, S_IFLNK));
	path_put(&p);
	expect_err(&root, &root, "/empty", LOOKUP_FOLLOW, -ENOENT);
	expect_err(&root, &root, "/empty/x", 0, -ENOENT);
}

Test(vfs_path, eloop)
{
	struct path p;

	expect_err(&root, &root, "/loop", LOOKUP_FOLLOW, -ELOOP);
	expect_err(&root, &root, "/loop/x", 0, -ELOOP);
	expect_err(&root, &root, "/loop/", 0, -ELOOP);
	expect_err(&root, &root, "/loopa", LOOKUP_FOLLOW, -ELOOP);
	cr_assert_eq(look(&root, &root, "/loop", 0, &p), 0, "not followed: no loop");
	cr_assert(is_mode(&p, S_IFLNK));
	path_put(&p);
	/* Linux follows at most 40 links in one lookup. */
	expect_name(&root, &root, "/c1", LOOKUP_FOLLOW, "/file");
	expect_err(&root, &root, "/c0", LOOKUP_FOLLOW, -ELOOP);
	expect_name(&root, &root, "/c0", 0, "/c0");
}

Test(vfs_path, name_too_long)
{
	char comp[300], path[PATH_MAX + 16];

	memset(comp, 'n', 256);
	comp[0] = '/';
	comp[256] = 0;	/* "/" + 255 bytes */
	expect_err(&root, &root, comp, 0, -ENOENT);
	comp[256] = 'n';
	comp[257] = 0;	/* "/" + 256 bytes */
	expect_err(&root, &root, comp, 0, -ENAMETOOLONG);
	expect_err(&root, &root, comp + 1, 0, -ENAMETOOLONG);

	/* The whole path: PATH_MAX bytes with the NUL is the limit. */
	memset(path, '/', sizeof(path));
	path[PATH_MAX - 1] = 0;
	memcpy(path + PATH_MAX - 4, "dir", 3);
	expect_name(&root, &root, path, 0, "/dir");
	path[PATH_MAX - 1] = '/';
	path[PATH_MAX] = 0;
	expect_err(&root, &root, path, 0, -ENAMETOOLONG);
}

Test(vfs_path, empty_path)
{
	struct path dir = at("/dir"), file = at("/file"), p;

	expect_err(&root, &dir, "", 0, -ENOENT);
	expect_err(&root, &dir, "", LOOKUP_FOLLOW, -ENOENT);
	cr_assert_eq(look(&root, &dir, "", LOOKUP_EMPTY, &p), 0);
	cr_assert_eq(p.d, dir.d);
	cr_assert_eq(p.mnt, dir.mnt);
	path_put(&p);
	cr_assert_eq(look(&root, &file, "", LOOKUP_EMPTY, &p), 0, "AT_EMPTY_PATH on a file");
	cr_assert_eq(p.d, file.d);
	path_put(&p);
	expect_err(&root, &file, "", LOOKUP_EMPTY | LOOKUP_DIRECTORY, -ENOTDIR);
	path_put(&dir);
	path_put(&file);
}

Test(vfs_path, relative_from_a_file)
{
	struct path file = at("/file");

	expect_err(&root, &file, "x", 0, -ENOTDIR);
	expect_err(&root, &file, "..", 0, -ENOTDIR);
	expect_name(&root, &file, "/dir", 0, "/dir");
	path_put(&file);
}

Test(vfs_path, mount_crossing)
{
	struct path p, start;

	cr_assert_eq(look(&root, &root, "/mnt", 0, &p), 0);
	cr_assert_eq(p.mnt, mnt_b, "crossed into the mount");
	cr_assert_eq(p.d, mnt_root.d);
	path_put(&p);
	cr_assert_eq(look(&root, &root, "/mnt/inner/x", 0, &p), 0);
	cr_assert_eq(p.mnt, mnt_b);
	cr_assert_str_eq(p.d->name, "x");
	path_put(&p);
	expect_name(&root, &root, "/mnt/inner/x", 0, "/mnt/inner/x");
	expect_name(&root, &root, "/mnt/bfile", 0, "/mnt/bfile");
	expect_name(&root, &root, "/tomnt/x", 0, "/mnt/inner/x");

	/* ".." out of the mount's root lands in the parent filesystem. */
	cr_assert_eq(look(&root, &root, "/mnt/..", 0, &p), 0);
	cr_assert_eq(p.mnt, mnt_a);
	cr_assert_eq(p.d, root.d);
	path_put(&p);
	expect_name(&root, &root, "/mnt/inner/../../dir", 0, "/dir");
	expect_name(&root, &root, "/mnt/../mnt/inner", 0, "/mnt/inner");
	expect_name(&root, &root, "/mnt/toparent", LOOKUP_FOLLOW, "/file");
	expect_name(&root, &root, "/mnt/absb/sub", 0, "/dir/sub");
	cr_assert_eq(look(&root, &mnt_root, "..", 0, &p), 0, "from the mount root as cwd");
	cr_assert_eq(p.mnt, mnt_a);
	cr_assert_eq(p.d, root.d);
	path_put(&p);
	start = at("/mnt/inner");
	expect_name(&root, &start, "../../file", 0, "/file");
	path_put(&start);
}

Test(vfs_path, mount_root_as_lookup_root)
{
	/* Chrooted into the mount: ".." must not climb to the parent. */
	expect_name(&mnt_root, &mnt_root, "/..", 0, "/");
	expect_name(&mnt_root, &mnt_root, "/../inner/x", 0, "/inner/x");
	/* "../file" stays in b, which has no "file". */
	expect_err(&mnt_root, &mnt_root, "toparent", LOOKUP_FOLLOW, -ENOENT);
	expect_name(&mnt_root, &mnt_root, "absb", 0, "/absb");
	expect_err(&mnt_root, &mnt_root, "absb", LOOKUP_FOLLOW, -ENOENT);
}

Test(vfs_path, path_name_round_trips)
{
	static const char *const paths[] = {
		"/", "/dir", "/dir/sub", "/dir/file", "/file", "/mnt", "/mnt/inner", "/mnt/inner/x", "/mnt/bfile", "/c7",
	};
	char buf[PATH_MAX];

	for (size_t i = 0; i < ARRAY_SIZE(paths); i++) {
		struct path p, q;
		int n;

		cr_assert_eq(look(&root, &root, paths[i], 0, &p), 0, "%s", paths[i]);
		n = vfs_path_name(&root, &p, buf, sizeof(buf));
		cr_assert_eq(n, (int)strlen(paths[i]), "%s: %d", paths[i], n);
		cr_assert_str_eq(buf, paths[i]);
		cr_assert_eq(look(&root, &root, buf, 0, &q), 0);
		/* b hands out a new dentry each time: compare what it names. */
		cr_assert(q.mnt == p.mnt && q.d->inode->stx.stx_ino == p.d->inode->stx.stx_ino,
			  "%s names the same file again", buf);
		if (p.mnt == mnt_a)
			cr_assert_eq(q.d, p.d, "%s: a cached dentry is reused", buf);
		path_put(&q);
		path_put(&p);
	}
}

Test(vfs_path, path_name_under_chroot_and_short_buffers)
{
	struct path r = at("/dir"), p = at("/dir/sub"), m = at("/mnt/inner/x");
	char buf[64];

	cr_assert_eq(vfs_path_name(&r, &p, buf, sizeof(buf)), 4);
	cr_assert_str_eq(buf, "/sub");
	cr_assert_eq(vfs_path_name(&r, &r, buf, sizeof(buf)), 1);
	cr_assert_str_eq(buf, "/");
	cr_assert_eq(vfs_path_name(&mnt_root, &m, buf, sizeof(buf)), 8);
	cr_assert_str_eq(buf, "/inner/x");

	/* "/mnt/inner/x" is 12 bytes and needs 13 with the NUL. */
	cr_assert_eq(vfs_path_name(&root, &m, buf, 13), 12);
	cr_assert_str_eq(buf, "/mnt/inner/x");
	cr_assert_eq(vfs_path_name(&root, &m, buf, 12), -ENAMETOOLONG);
	cr_assert_eq(vfs_path_name(&root, &m, buf, 2), -ENAMETOOLONG);
	cr_assert_eq(vfs_path_name(&root, &root, buf, 2), 1);
	cr_assert_str_eq(buf, "/");
	cr_assert_eq(vfs_path_name(&root, &root, buf, 1), -ENAMETOOLONG);
	path_put(&r);
	path_put(&p);
	path_put(&m);
}

Test(vfs_path, no_reference_leaks)
{
	static const struct {
		const char *path;
		int flags;
	} cases[] = {
		{ "/dir/sub", 0 }, { "/dir/up", LOOKUP_FOLLOW }, { "/loop", LOOKUP_FOLLOW }, { "/c0", LOOKUP_FOLLOW },
		{ "/file/", 0 }, { "/nonexistent/x", 0 }, { "/dangling", LOOKUP_FOLLOW }, { "/mnt/inner/x", 0 },
		{ "/mnt/inner/../..", 0 }, { "/mnt/toparent", LOOKUP_FOLLOW }, { "/mnt/nope", 0 },
		{ "/dlink", LOOKUP_DIRECTORY }, { "/mnt/inner/x/", 0 },
	};
	struct path p;
	int before_root, before_mnt;

	/* Warm the cache so that only transient references remain. */
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		if (look(&root, &root, cases[i].path, cases[i].flags, &p) == 0)
			path_put(&p);
	before_root = root.d->refs;
	before_mnt = mnt_root.d->refs;
	for (int round = 0; round < 3; round++) {
		for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
			if (look(&root, &root, cases[i].path, cases[i].flags, &p) == 0)
				path_put(&p);
			cr_assert_eq(root.d->refs, before_root, "%s leaks a reference to /", cases[i].path);
			cr_assert_eq(mnt_root.d->refs, before_mnt, "%s leaks a reference to /mnt's root",
				     cases[i].path);
		}
	}
}

Test(vfs_path, cached_dentries_are_reused)
{
	struct path p, q;

	cr_assert_eq(look(&root, &root, "/dir/sub", 0, &p), 0);
	cr_assert_eq(lookups, 2);
	cr_assert_eq(look(&root, &root, "/dir/sub", 0, &q), 0);
	cr_assert_eq(lookups, 2, "second walk is served from the dcache");
	cr_assert_eq(p.d, q.d);
	path_put(&p);
	path_put(&q);
	expect_err(&root, &root, "/missing", 0, -ENOENT);
	expect_err(&root, &root, "/missing", 0, -ENOENT);
	cr_assert_eq(lookups, 3, "negative entries are cached too");
}
