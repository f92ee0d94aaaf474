/* The sentry's side of a gofer-served filesystem. */
#ifndef AMBER_FS_GOFER_H
#define AMBER_FS_GOFER_H

#include "gofer/gofer.h"
#include "kernel/vfs/vfs.h"

/* Returns a new root dentry for the tree client serves (client borrowed
 * for the sandbox's life), or -errno. */
int gofer_fs_mount(struct gofer_client *client, bool readonly, struct dentry **root);
/* The client serving the sandbox's root (set by kernel_init). */
extern struct gofer_client *gofer_fs_root_client;
/* Drops every cached page of every gofer file, which no mapping may map
 * any more (a restore into a created sandbox, its task gone). */
void gofer_fs_drop_caches(void);

#endif
