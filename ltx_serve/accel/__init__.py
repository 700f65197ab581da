"""GPU performance paths for the LTX-2.3 engine (imported by the engine only: it imports torch).

Everything here was written and tested on a CPU-only machine with the tiny preset. The tests
check numerical equivalence and the decisions; nothing about speed could be measured.

Modules, what each path does, and when the engine enables it
-------------------------------------------------------------

`attention` — per-role attention backend.
    `detect_device_info()` -> `choose_attention_backend(info, needs_self_attn_mask)` ->
    `apply_attention_backend(transformer, choice)`, once at load. Mask-free roles (audio
    self-attention, A<->V cross-attention, video self-attention without an IC-LoRA mask) get
    the fastest kernel for the GPU: FA3 on Hopper when installed, cuDNN SDPA on sm >= 9.0
    otherwise, flash-attn 2 on Ampere/Ada when installed, PyTorch SDPA elsewhere. Roles that
    receive a mask (the prompt mask on text cross-attention; IC-LoRA's self-attention bias)
    get PyTorch SDPA, the one family whose diffusers dispatcher accepts LTX2's additive float
    masks. Per request, `self_attention_mask_scope()` switches only video self-attention to
    the masked backend when an IC-LoRA job with attention strength < 1 arrives and the engine
    chose with `needs_self_attn_mask=False`.

`fp8` — storage-only fp8 and fp8 checkpoint detection (called by the memory plan).
    `models.memory_plan.apply_plan` calls `enable_fp8_storage(transformer)` and
    `enable_fp8_text_encoder(gemma)` when the plan says `weights_dtype == "float8_e4m3fn"`:
    attention and feed-forward Linears of the blocks stored as e4m3, computed in bf16; blocks
    0, 1, 46, 47 (parameter `keep_blocks`), norms, embeddings, gates, patchify in/out stay bf16.
    `scaled=True` adds a per-tensor scale (amax -> 448): at the real weight magnitudes it avoids
    e4m3 subnormals (weight error 2.3 % vs 3.4 % measured at std 0.02) and is the official FP8
    checkpoint's own layout: the single-file loader keeps such a file's weights and scales as
    stored (`attach_scaled_fp8`, no requantising) and `enable_fp8_storage` leaves them alone.
    `inspect_fp8_checkpoint(path)` reads a safetensors header and reports fp8 tensors and
    scale tensors; `fp8_source()` tells the loader "fp8_checkpoint" vs "fp8_cast".

`offload` — text encoder and VAE memory switches (called by the memory plan).
    `apply_plan` builds `TextEncoderOffloader(gemma, device)` when the plan's text encoder
    placement is "offload"; `memory_plan.text_encoder_ready(...)` is its `onloaded()` around
    prompt encoding; a pinned host copy makes offloading free and onloading an async copy.
    `apply_plan` calls `apply_vae_tiling(vae, tiling_for_plan(plan))`.

`compile` — regional torch.compile and warm-up.
    `compile_transformer(transformer, uses_stg=...)` compiles the repeated
    `LTX2VideoTransformerBlock` (automatic dynamic shapes; `fullgraph` unless STG is used:
    STG's data-dependent branch is a graph break). `warmup(transformer, shapes)` runs the
    presets' shapes at start-up so requests reuse the compiled graphs. Opt-in until measured.

`prepare` — `prepare_transformer(transformer, device_info, AccelOptions(...))` runs
    attention -> compile -> warm-up in the order that works; call it once after the memory
    plan (which did any fp8 storage) and LoRA setup, before the engine reports ready.

UNVERIFIED without a GPU
------------------------

- Every speed claim: FA3 vs cuDNN vs flash-attn 2 vs SDPA on the real sequence lengths, the
  torch.compile speed-up (1.2-1.5x quoted by SGLang) and compile time at full size, the cost of
  per-Linear fp8 upcasts, the offload copy time (~1 s per 24 GB expected at PCIe 4 pinned
  speed), and the job-overlap gain (`ltx_serve.jobs.overlap`; it also depends on the
  host-side stages releasing the GIL).
- Availability: whether FA3 (`flash_attn_interface`), flash-attn 2 and sageattention build and
  import against torch 2.13 on the target CUDA; whether cuDNN SDPA is enabled in the wheel.
- Whether cuDNN SDPA would accept LTX2's broadcast additive masks (we never give it one).
- fp8 numerics at full size (22B weights, std ~0.02, so many e4m3 subnormals) and their effect
  on video quality; the combination of fp8 hooks with torch.compile and with fused LoRAs.
- Inductor/Triton numerics in bf16 (a CUDA test exists and is skipped here); recompiles when
  the attention backend is switched per request under compile.
- Pinned allocation of Gemma's 24 GB of host memory on the target machine.
"""
