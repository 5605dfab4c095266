// SPDX-License-Identifier: GPL-2.0-only
/*
 * kipc - fast, safe inter-process communication.
 *
 * /dev/kipc is a misc device.  Opening it gives a control file on which
 * ioctls create IPC objects; each object comes back as its own
 * anon-inode file descriptor.
 *
 * Copyright (C) 2026 The kipc authors.
 */

#include <linux/build_bug.h>
#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/uaccess.h>

#include "kipc_core.h"
#include "ring.h"

/*
 * The size of every UAPI structure, pinned: the layout is ABI.  A change
 * here is a new command number (see kipc.rst, "Extending the ABI");
 * selftests/kipc/uapi_layout_test.c pins every field offset too.
 */
static_assert(sizeof(struct kipc_info) == 80);
static_assert(sizeof(struct kipc_obj_create) == 24);
static_assert(sizeof(struct kipc_obj_head) == 136);
static_assert(sizeof(struct kipc_open) == 56);
static_assert(sizeof(struct kipc_unlink) == 32);
static_assert(sizeof(struct kipc_obj_entry) == 184);
static_assert(sizeof(struct kipc_list) == 40);
static_assert(sizeof(struct kipc_dup) == 40);
static_assert(sizeof(struct kipc_ring_layout) == 120);
static_assert(sizeof(struct kipc_ring_prod) == 3 * KIPC_CACHELINE);
static_assert(sizeof(struct kipc_ring_cons) == 3 * KIPC_CACHELINE);
static_assert(sizeof(struct kipc_rec_hdr) == 8);
static_assert(sizeof(struct kipc_ring_create) == 72);
static_assert(sizeof(struct kipc_ring_info) == 224);
static_assert(sizeof(struct kipc_ring_wait) == 40);
static_assert(sizeof(struct kipc_ring_wake) == 24);
static_assert(sizeof(struct kipc_queue_create) == 80);
static_assert(sizeof(struct kipc_queue_info) == 208);
static_assert(sizeof(struct kipc_queue_msg) == 32);
static_assert(sizeof(struct kipc_queue_xfer) == 64);
static_assert(sizeof(struct kipc_queue_mxfer) == 40);

static long kipc_ioc_get_info(void __user *uarg)
{
	struct kipc_info info;

	if (copy_from_user(&info, uarg, sizeof(info)))
		return -EFAULT;
	if (info.flags || kipc_check_reserved(info.reserved, sizeof(info.reserved)))
		return -EINVAL;

	memset(&info, 0, sizeof(info));
	info.abi_version = KIPC_ABI_VERSION;
	info.features = KIPC_FEAT_INFO | KIPC_FEAT_NAMES | KIPC_FEAT_DUP;
	info.features |= KIPC_FEAT_RING;
	info.max_ring_size = kipc_ring_max_size();
	info.features |= KIPC_FEAT_QUEUE;
	info.max_msg_size = kipc_queue_max_msg_size();
	info.page_size = PAGE_SIZE;
	info.obj_types = (1ULL << KIPC_OBJ_RING) | (1ULL << KIPC_OBJ_QUEUE);

	return copy_to_user(uarg, &info, sizeof(info)) ? -EFAULT : 0;
}

/* Commands are matched exactly: a structure of another size is -ENOTTY. */
static long kipc_dev_ioctl(struct file *file, unsigned int cmd,
			   unsigned long arg)
{
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case KIPC_IOC_GET_INFO:
		return kipc_ioc_get_info(uarg);
	case KIPC_IOC_OPEN:
		return kipc_ioc_open(uarg);
	case KIPC_IOC_UNLINK:
		return kipc_ioc_unlink(uarg);
	case KIPC_IOC_LIST:
		return kipc_ioc_list(uarg);
	case KIPC_IOC_DUP:
		return kipc_ioc_dup(uarg);
	case KIPC_IOC_RING_CREATE:
		return kipc_ioc_ring_create(uarg);
	case KIPC_IOC_QUEUE_CREATE:
		return kipc_ioc_queue_create(uarg);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations kipc_dev_fops = {
	.owner		= THIS_MODULE,
	.open		= nonseekable_open,
	.unlocked_ioctl	= kipc_dev_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
};

static struct miscdevice kipc_misc = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= KIPC_DEVICE_NAME,
	.fops	= &kipc_dev_fops,
	.mode	= 0666,
};

static int __init kipc_init(void)
{
	int ret;

	ret = kipc_obj_module_init();
	if (ret)
		return ret;
	ret = misc_register(&kipc_misc);
	if (ret) {
		pr_err("cannot register /dev/%s: %d\n", KIPC_DEVICE_NAME, ret);
		goto out_obj_exit;
	}
	pr_info("ABI %d loaded\n", KIPC_ABI_VERSION);
	return 0;

out_obj_exit:
	kipc_obj_module_exit();
	return ret;
}

static void __exit kipc_exit(void)
{
	misc_deregister(&kipc_misc);
	kipc_obj_module_exit();
}

module_init(kipc_init);
module_exit(kipc_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("kipc: fast, safe inter-process communication");
MODULE_AUTHOR("The kipc authors");
/* The project's version, from kmod/Makefile or dkms.conf; see modinfo. */
#ifdef KIPC_VERSION
MODULE_VERSION(KIPC_VERSION);
#endif
