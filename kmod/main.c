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

/**
 * kipc_copy_args_in() - copy a size-versioned ioctl argument from user
 * @karg:	kernel copy, sizeof @ksize
 * @ksize:	size of the kernel's structure
 * @ver0:	smallest size user space may pass (first published ABI)
 * @cmd:	ioctl command; its size field is the caller's structure size
 * @uarg:	user pointer
 *
 * Fields the caller does not know are zero-filled; bytes the kernel does
 * not know must be zero.
 *
 * Return: 0, -EINVAL for a too-short structure, -E2BIG for unknown
 * non-zero trailing bytes or a size over one page, -EFAULT.
 */
int kipc_copy_args_in(void *karg, size_t ksize, size_t ver0,
		      unsigned int cmd, const void __user *uarg)
{
	size_t usize = _IOC_SIZE(cmd);

	if (usize < ver0)
		return -EINVAL;
	if (usize > PAGE_SIZE)
		return -E2BIG;
	return copy_struct_from_user(karg, ksize, uarg, usize);
}

/**
 * kipc_copy_args_out() - copy a size-versioned ioctl result to user
 * @uarg:	user pointer
 * @cmd:	ioctl command, as given to kipc_copy_args_in()
 * @karg:	kernel structure, fully initialized (no padding holes)
 * @ksize:	its size
 *
 * Return: 0 or -EFAULT.
 */
int kipc_copy_args_out(void __user *uarg, unsigned int cmd,
		       const void *karg, size_t ksize)
{
	size_t n = min_t(size_t, _IOC_SIZE(cmd), ksize);

	return copy_to_user(uarg, karg, n) ? -EFAULT : 0;
}

static long kipc_ioc_get_info(unsigned int cmd, void __user *uarg)
{
	struct kipc_info info;
	int ret;

	ret = kipc_copy_args_in(&info, sizeof(info), KIPC_INFO_SIZE_VER0,
				cmd, uarg);
	if (ret)
		return ret;
	if (info.flags || info.reserved0 ||
	    memchr_inv(info.reserved, 0, sizeof(info.reserved)))
		return -EINVAL;

	memset(&info, 0, sizeof(info));
	info.abi_version = KIPC_ABI_VERSION;
	info.features = KIPC_FEAT_INFO | KIPC_FEAT_NAMES | KIPC_FEAT_DUP;
	info.features |= KIPC_FEAT_RING;
	info.max_ring_size = kipc_ring_max_size();
	info.features |= KIPC_FEAT_QUEUE;
	info.max_msg_size = kipc_queue_max_msg_size();
	info.page_size = PAGE_SIZE;
	info.struct_size = sizeof(info);

	return kipc_copy_args_out(uarg, cmd, &info, sizeof(info));
}

static long kipc_dev_ioctl(struct file *file, unsigned int cmd,
			   unsigned long arg)
{
	void __user *uarg = (void __user *)arg;

	if (KIPC_IOC_MATCH(cmd, KIPC_IOC_GET_INFO))
		return kipc_ioc_get_info(cmd, uarg);
	if (KIPC_IOC_MATCH(cmd, KIPC_IOC_RING_CREATE))
		return kipc_ioc_ring_create(cmd, uarg);
	if (KIPC_IOC_MATCH(cmd, KIPC_IOC_OPEN))
		return kipc_ioc_open(cmd, uarg);
	if (KIPC_IOC_MATCH(cmd, KIPC_IOC_UNLINK))
		return kipc_ioc_unlink(cmd, uarg);
	if (KIPC_IOC_MATCH(cmd, KIPC_IOC_LIST))
		return kipc_ioc_list(cmd, uarg);
	if (KIPC_IOC_MATCH(cmd, KIPC_IOC_QUEUE_CREATE))
		return kipc_ioc_queue_create(cmd, uarg);
	if (KIPC_IOC_MATCH(cmd, KIPC_IOC_DUP))
		return kipc_ioc_dup(cmd, uarg);
	return -ENOTTY;
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

	BUILD_BUG_ON(sizeof(struct kipc_info) != KIPC_INFO_SIZE_VER0);

	BUILD_BUG_ON(sizeof(struct kipc_open) != KIPC_OPEN_SIZE_VER0);
	BUILD_BUG_ON(sizeof(struct kipc_unlink) != KIPC_UNLINK_SIZE_VER0);
	BUILD_BUG_ON(sizeof(struct kipc_list) != KIPC_LIST_SIZE_VER0);
	BUILD_BUG_ON(sizeof(struct kipc_obj_entry) != KIPC_OBJ_ENTRY_SIZE_VER0);
	BUILD_BUG_ON(sizeof(struct kipc_dup) != KIPC_DUP_SIZE_VER0);

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
