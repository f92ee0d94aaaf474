/* Saving and loading tmpfs trees. A tmpfs holds the only copy of its
 * files, so every mount's whole tree goes into the image: names, modes,
 * owners, times, symlink targets, hard links, and the file data's pages in
 * the memory file (stored in `pages` with the rest). On restore the mount
 * comes back empty from the spec and the tree is rebuilt in it before any
 * file is reopened by path. */
#include "kernel/state/state.h"
#include "kernel/fs/tmpfs/internal.h"
#include "kernel/fs/tmpfs/tmpfs.h"
#include "kernel/mm/mm.h"
#include "kernel/task/task.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct tsave {
	struct save_ctx *c;
	Amber__Kernel__TmpfsMount *pb;
	struct idmap inodes;		/* inode -> node id, for hard links */
};

/* sb->lock held by the caller for the whole walk. */
static int save_node(struct tsave *s, struct inode *ino, uint64_t parent, const char *name)
{
	struct tmpfs_node *n = ino->priv;
	Amber__Kernel__TmpfsNode *pb = save_alloc(s->c, sizeof(*pb));
	struct tmpfs_entry *e, **list;
	bool added;
	uint64_t id;
	size_t count = 0;
	int err;

	if (!pb)
		return -ENOMEM;
	amber__kernel__tmpfs_node__init(pb);
	id = idmap_get(&s->inodes, ino, &added);
	if (!id)
		return -ENOMEM;
	pb->parent = parent;
	pb->name = save_strdup(s->c, name);
	if (!pb->name)
		return -ENOMEM;
	if (!added) {
		pb->link_to = id;
		return save_push(s->c, (void ***)&s->pb->nodes, &s->pb->n_nodes, pb);
	}
	pb->id = id;
	pb->mode = ino->stx.stx_mode;
	pb->uid = ino->stx.stx_uid;
	pb->gid = ino->stx.stx_gid;
	pb->atime_sec = ino->stx.stx_atime.tv_sec;
	pb->atime_nsec = ino->stx.stx_atime.tv_nsec;
	pb->mtime_sec = ino->stx.stx_mtime.tv_sec;
	pb->mtime_nsec = ino->stx.stx_mtime.tv_nsec;
	pb->ctime_sec = ino->stx.stx_ctime.tv_sec;
	pb->ctime_nsec = ino->stx.stx_ctime.tv_nsec;
	pb->size = ino->stx.stx_size;
	if (n->target && !(pb->target = save_strdup(s->c, n->target)))
		return -ENOMEM;
	if (n->data) {
		bool fresh;
		uint64_t sid = idmap_get(&s->c->shmems, n->data, &fresh);

		if (!sid)
			return -ENOMEM;
		pb->shmem_id = sid;
		err = save_shmem_pages(s->c, n->data, &pb->pages, &pb->n_pages);
		if (err < 0)
			return err;
	}
	err = save_push(s->c, (void ***)&s->pb->nodes, &s->pb->n_nodes, pb);
	if (err < 0 || !S_ISDIR(ino->stx.stx_mode))
		return err;
	/* Entries are kept newest first; saved oldest first, they come back
	 * in the same order (each load prepends). */
	for (e = n->entries; e; e = e->next)
		count++;
	list = malloc((count + 1) * sizeof(*list));
	if (!list)
		return -ENOMEM;
	count = 0;
	for (e = n->entries; e; e = e->next)
		list[count++] = e;
	err = 0;
	while (count-- > 0 && err == 0)
		err = save_node(s, list[count]->inode, id, list[count]->name);
	free(list);
	return err;
}

int tmpfs_save(struct save_ctx *c, struct dentry *root, const char *mount_path)
{
	struct tmpfs_node *rn = root->inode->priv;
	struct tsave s = { .c = c };
	int err;

	s.pb = save_alloc(c, sizeof(*s.pb));
	if (!s.pb)
		return -ENOMEM;
	amber__kernel__tmpfs_mount__init(s.pb);
	s.pb->path = save_strdup(c, mount_path);
	if (!s.pb->path)
		return -ENOMEM;
	pthread_mutex_lock(&rn->sb->lock);
	err = save_node(&s, root->inode, 0, "");
	pthread_mutex_unlock(&rn->sb->lock);
	idmap_free(&s.inodes);
	if (err < 0)
		return err;
	return save_push(c, (void ***)&c->k->tmpfs, &c->k->n_tmpfs, s.pb);
}

static int bad(struct load_ctx *c, const char *mnt, const char *what)
{
	snprintf(c->err, sizeof(c->err), "kernel.pb: tmpfs on %s: %s", mnt, what);
	return -EINVAL;
}

int tmpfs_load(struct load_ctx *c, const Amber__Kernel__TmpfsMount *pb, struct dentry *root)
{
	struct tmpfs_node *rn = root->inode->priv;
	struct inode **by_id;
	size_t n = pb->n_nodes;
	int err = 0;

	if (!n || pb->nodes[0]->id != 1 || pb->nodes[0]->parent || !S_ISDIR(pb->nodes[0]->mode))
		return bad(c, pb->path, "no root directory");
	if (rn->entries)
		return bad(c, pb->path, "the mount is not empty");
	by_id = calloc(n + 1, sizeof(*by_id));
	if (!by_id)
		return -ENOMEM;
	by_id[1] = root->inode;
	root->inode->stx.stx_mode = (uint16_t)((root->inode->stx.stx_mode & S_IFMT) | (pb->nodes[0]->mode & 07777));
	TMPFS_LOAD_ATTRS(root->inode, pb->nodes[0]);
	for (size_t i = 1; i < n && err == 0; i++) {
		const Amber__Kernel__TmpfsNode *e = pb->nodes[i];
		struct inode *dir = e->parent >= 1 && e->parent <= n ? by_id[e->parent] : NULL;
		struct inode *ino;
		struct tmpfs_node *tn;

		if (!dir || !S_ISDIR(dir->stx.stx_mode) || !e->name || !*e->name || strchr(e->name, '/') ||
		    strlen(e->name) > 255 || !strcmp(e->name, ".") || !strcmp(e->name, "..")) {
			err = bad(c, pb->path, "a node without a valid parent or name");
			break;
		}
		if (e->link_to) {
			ino = e->link_to <= n ? by_id[e->link_to] : NULL;
			if (!ino || S_ISDIR(ino->stx.stx_mode)) {
				err = bad(c, pb->path, "a hard link to nothing");
				break;
			}
			inode_get(ino);
			err = tmpfs_add_entry(dir, e->name, ino);
			if (err < 0) {
				inode_put(ino);
				break;
			}
			ino->stx.stx_nlink++;
			continue;
		}
		if (!e->id || e->id > n || by_id[e->id] || (!S_ISREG(e->mode) && !S_ISDIR(e->mode) && !S_ISLNK(e->mode) &&
							    !S_ISFIFO(e->mode) && !S_ISCHR(e->mode) && !S_ISBLK(e->mode) &&
							    !S_ISSOCK(e->mode))) {
			err = bad(c, pb->path, "a node with a bad id or type");
			break;
		}
		ino = tmpfs_inode(rn->sb, e->mode);
		if (!ino) {
			err = -ENOMEM;
			break;
		}
		tn = ino->priv;
		if (S_ISLNK(e->mode)) {
			tn->target = strdup(e->target ? e->target : "");
			ino->stx.stx_size = strlen(tn->target);
		}
		if (tn->data) {
			if (e->n_pages % 2) {
				inode_put(ino);
				err = bad(c, pb->path, "an odd page list");
				break;
			}
			shmem_resize(tn->data, e->size);
			ino->stx.stx_size = e->size;
			for (size_t k = 0; k + 1 < e->n_pages && err == 0; k += 2) {
				uint64_t page = e->pages[k + 1] >> PAGE_SHIFT;

				if (page >= c->k->memfile_pages) {
					err = bad(c, pb->path, "a page outside the memory file");
					break;
				}
				err = shmem_restore_page(tn->data, e->pages[k], e->pages[k + 1]);
				if (err == 0)
					err = load_add_page(c, page);
				else
					err = bad(c, pb->path, "a file page past its size or given twice");
			}
			if (err == 0)
				__atomic_add_fetch(&rn->sb->used_pages, e->n_pages / 2, __ATOMIC_RELAXED);
			if (err == 0 && e->shmem_id)
				err = shmem_register(c, e->shmem_id, tn->data);
		}
		TMPFS_LOAD_ATTRS(ino, e);
		if (err == 0)
			err = tmpfs_add_entry(dir, e->name, ino);
		if (err < 0) {
			inode_put(ino);
			if (err == -EEXIST)
				err = bad(c, pb->path, "a name given twice");
			break;
		}
		by_id[e->id] = ino;
	}
	/* Entering names touched the directories: their saved times again. */
	for (size_t i = 0; i < n && err == 0; i++)
		if (!pb->nodes[i]->link_to && pb->nodes[i]->id <= n && by_id[pb->nodes[i]->id] &&
		    S_ISDIR(pb->nodes[i]->mode))
			TMPFS_LOAD_ATTRS(by_id[pb->nodes[i]->id], pb->nodes[i]);
	free(by_id);
	return err;
}
