"""Train from a config under the active host (Pointcept when importable, else the standalone engine).

python tools/train.py --config-file configs/demo/pretrain-pointcsp-demo.py --options save_path=exp/demo/pre
"""

import pointcept_csp  # noqa: F401  (registers the plugin before anything is built)
from pointcept_csp import host


def main_worker(cfg):
    # workers spawned by Pointcept's launch re-import this module, so the import above has run in them too
    cfg = host.default_setup(cfg)
    trainer = host.TRAINERS.build(dict(type=cfg.train.type, cfg=cfg))
    trainer.train()


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
