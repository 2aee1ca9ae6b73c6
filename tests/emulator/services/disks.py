"""EBS data: volumes backed by real disk images, and what an instance sees.

A volume seeded with `"Image": PATH` gets a private copy of that file in the
emulator's data directory (so the test's original is never touched).  A
snapshot copies its volume's image when it is taken (point in time, as EBS
snapshots are: "Amazon EBS snapshots", EBS user guide); a volume created
from the snapshot copies the snapshot's.  So snapshot -> volume -> attach
carries the bytes to the forensic side.

What an instance sees (machine_view): on Nitro, EBS volumes are NVMe
devices whose controller serial is the volume id without the dash (EBS user
guide, "Amazon EBS and NVMe",
https://docs.aws.amazon.com/ebs/latest/userguide/nvme-ebs-volumes.html):
<data>/machines/<instance>/sys/block/nvme<N>n1/device/serial and
<data>/machines/<instance>/dev/nvme<N>n1 -> the volume's image, one per
attached volume with an image (nvme0n1 is the root volume).  SSM commands
that run for real (services/ssm_agent) get EMULATOR_SYSFS_ROOT and
EMULATOR_DEV_ROOT pointing there.
"""
import atexit
import os
import shutil
import sys
import tempfile

from services import ec2, register

register(sys.modules[__name__])


def data_dir(world):
    d = world.ns.get("data_dir")
    if d is None:
        d = tempfile.mkdtemp(prefix="emulator-data-")
        atexit.register(shutil.rmtree, d, True)
        world.ns["data_dir"] = d
    return d


def images(world):
    return world.ns.setdefault("disk_images", {})      # volume or snapshot id -> image path


def _copy(world, src, rid):
    dst = os.path.join(data_dir(world), rid + ".img")
    shutil.copyfile(src, dst)
    images(world)[rid] = dst
    return dst


def seed(world, sc):
    e = sc.get("ec2") or {}
    specs = list(e.get("volumes") or [])
    for i in e.get("instances") or []:
        specs += [b.get("Ebs", b) for b in i.get("BlockDeviceMappings") or []]
    for v in specs:
        if v.get("Image") and v.get("VolumeId"):
            _copy(world, v["Image"], v["VolumeId"])


def carry(world, src_id, dst_id):
    """dst gets a copy of src's bytes (volume -> snapshot, snapshot -> volume or copy)."""
    src = images(world).get(src_id)
    if src:
        _copy(world, src, dst_id)


def machine_view(world, iid):
    """(sysfs root, dev root) of iid as its OS would see its EBS volumes now."""
    root = os.path.join(data_dir(world), "machines", iid)
    shutil.rmtree(root, ignore_errors=True)
    sysfs, dev = os.path.join(root, "sys"), os.path.join(root, "dev")
    os.makedirs(os.path.join(sysfs, "block"))
    os.makedirs(dev)
    inst = ec2.st(world)["instances"][iid]
    atts = []
    for v in ec2.st(world)["volumes"].values():
        for a in v["Attachments"]:
            if a["InstanceId"] == iid and a["State"] == "attached":
                atts.append((a["Device"] != inst["RootDeviceName"], a["AttachTime"], v["VolumeId"]))
    for n, (_, _, vid) in enumerate(sorted(atts)):
        name = f"nvme{n}n1"
        os.makedirs(os.path.join(sysfs, "block", name, "device"))
        with open(os.path.join(sysfs, "block", name, "device", "serial"), "w") as f:
            f.write(vid.replace("-", "") + "\n")
        img = images(world).get(vid)
        if img:
            os.symlink(img, os.path.join(dev, name))
    return sysfs, dev
