"""Minimal pipeline until the PointCSP demo lands: train the toy segmentor through tools/train.py and report mIoU."""
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    save = os.path.join(ROOT, "exp", "demo", "toy")
    subprocess.run([sys.executable, os.path.join(ROOT, "tools", "train.py"), "--config-file",
                    os.path.join(ROOT, "tests", "fixtures", "configs", "toy.py"), "--options", f"save_path={save}",
                    f"hooks.6.path={os.path.join(save, 'hook_calls.jsonl')}"],
                   check=True, cwd=ROOT, env=dict(os.environ, PYTHONPATH=ROOT))


if __name__ == "__main__":
    main()
