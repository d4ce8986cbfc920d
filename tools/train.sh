#!/bin/sh
# Pointcept's scripts/train.sh, for this plugin. Experiments go to exp/<dataset>/<name>/ with a code snapshot.
#   sh tools/train.sh -c configs/scannet/pretrain-pointcsp-v1m1-0-base.py -n pre
#   sh tools/train.sh -c configs/s3dis/pointcsp.py -w exp/scannet/pre/model/model_last.pth
#   sh tools/train.sh -d s3dis -c pointcsp -n ft -r true        (Pointcept's dataset + config-name form; resume)
# Flags: -c config (path, or name under configs/<dataset>/) -n experiment name -w weight -r resume (true/false)
#        -g GPUs per machine -m machines -d dataset -p python interpreter
#        -o "key=value ..." extra config overrides (ours; Pointcept's script has none)
cd "$(dirname "$0")/.." || exit 1
ROOT_DIR=$(pwd)
if [ -x "$ROOT_DIR/.venv/bin/python" ]; then PYTHON="$ROOT_DIR/.venv/bin/python"; else PYTHON=python; fi
DATASET=""
CONFIG="None"
EXP_NAME=debug
WEIGHT="None"
RESUME=false
NUM_GPU=None
NUM_MACHINE=1
DIST_URL="auto"
EXTRA=""

while getopts "p:d:c:n:w:g:m:r:o:" opt; do
  case $opt in
    p) PYTHON=$OPTARG ;;
    d) DATASET=$OPTARG ;;
    c) CONFIG=$OPTARG ;;
    n) EXP_NAME=$OPTARG ;;
    w) WEIGHT=$OPTARG ;;
    r) RESUME=$OPTARG ;;
    g) NUM_GPU=$OPTARG ;;
    m) NUM_MACHINE=$OPTARG ;;
    o) EXTRA=$OPTARG ;;
    \?) echo "Invalid option: -$OPTARG" >&2; exit 2 ;;
  esac
done

if [ -f "$CONFIG" ]; then
  CONFIG_PATH=$CONFIG
  [ -n "$DATASET" ] || DATASET=$(basename "$(dirname "$CONFIG")")
else
  [ -n "$DATASET" ] || DATASET=scannet
  CONFIG_PATH=configs/${DATASET}/${CONFIG%.py}.py
fi
if [ ! -f "$CONFIG_PATH" ] && [ "$RESUME" != true ]; then
  echo "Config not found: $CONFIG_PATH (give -c a file path, or -d dataset -c name)" >&2; exit 2
fi
if [ "$NUM_GPU" = None ]; then
  NUM_GPU=$("$PYTHON" -c 'import torch; print(max(torch.cuda.device_count(), 1))')  # CPU: one process
fi

EXP_DIR=exp/${DATASET}/${EXP_NAME}
MODEL_DIR=${EXP_DIR}/model
CODE_DIR=${EXP_DIR}/code
echo "Experiment dir: $ROOT_DIR/$EXP_DIR  config: $CONFIG_PATH  GPUs: $NUM_GPU  python: $PYTHON"

if [ "$RESUME" = true ] && [ -d "$EXP_DIR" ]; then
  CONFIG_PATH=${EXP_DIR}/config.py
  WEIGHT=${MODEL_DIR}/model_last.pth
else
  RESUME=false
  mkdir -p "$MODEL_DIR" "$CODE_DIR"
  # snapshot of the code that ran this experiment (Pointcept's habit); the run imports it first
  cp -r pointcept_csp tools configs "$CODE_DIR"
fi
export PYTHONPATH="$ROOT_DIR/$CODE_DIR${PYTHONPATH:+:$PYTHONPATH}"

if [ "$WEIGHT" = None ]; then
  exec "$PYTHON" "$CODE_DIR/tools/train.py" --config-file "$CONFIG_PATH" --num-gpus "$NUM_GPU" \
    --num-machines "$NUM_MACHINE" --machine-rank "${SLURM_NODEID:-0}" --dist-url "$DIST_URL" \
    --options save_path="$EXP_DIR" $EXTRA
else
  exec "$PYTHON" "$CODE_DIR/tools/train.py" --config-file "$CONFIG_PATH" --num-gpus "$NUM_GPU" \
    --num-machines "$NUM_MACHINE" --machine-rank "${SLURM_NODEID:-0}" --dist-url "$DIST_URL" \
    --options save_path="$EXP_DIR" resume="$RESUME" weight="$WEIGHT" $EXTRA
fi
