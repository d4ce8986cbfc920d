"""Test a trained model from a config with the host's tester (`cfg.test`), e.g. per-scene semantic predictions.

python tools/test.py --config-file exp/s3dis/ft/config.py \
        --options save_path=exp/s3dis/ft weight=exp/s3dis/ft/model/model_best.pth
"""

import pointcept_csp  # noqa: F401  (registers the plugin before anything is built)
from pointcept_csp import host
from pointcept_csp.utils.allocator import keep_freed_memory


def main_worker(cfg):
    keep_freed_memory()  # CPU runs: no page-fault churn on the large buffers freed and re-allocated every step
    cfg = host.default_setup(cfg)
    tester = host.TESTERS.build(dict(cfg=cfg, **cfg.test))
    tester.test()


def main():
    args = host.default_argument_parser().parse_args()
    cfg = host.default_config_parser(args.config_file, args.options)
    host.launch(
        main_worker,
        num_gpus_per_machine=args.num_gpus,
        num_machines=args.num_machines,
        machine_rank=args.machine_rank,
        dist_url=args.dist_url,
        cfg=(cfg,),
    )


if __name__ == "__main__":
    main()
