;; The inner loop of src/audio/resample.ts: one FIR dot product per output sample, four taps per
;; SIMD multiply (f32x4), two accumulators so consecutive adds do not wait on each other.
;; Compiled to resample-kernel.wasm by `npm run build:wasm` (wabt); `npm run build:wasm -- --check`
;; (run by CI) fails if the committed .wasm is not this file's compilation.
;;
;; Memory layout is the caller's (resample.ts writes it before each call):
;;   positions  `count` pairs of i32 byte offsets: where output k's input window starts, and
;;              where its filter phase's taps start (both f32 arrays, any alignment);
;;   out        `count` i16 samples.
;; Every phase holds `pairs` × 8 taps (zero-padded), read as two f32x4 per step.
(module
  (memory (export "memory") 1)

  (func (export "filter") (param $count i32) (param $positions i32) (param $out i32) (param $pairs i32)
    (local $end i32) (local $in i32) (local $taps i32) (local $left i32)
    (local $a v128) (local $b v128) (local $s f64)
    (local.set $end (i32.add (local.get $out) (i32.shl (local.get $count) (i32.const 1))))
    (block $done
      (loop $sample
        (br_if $done (i32.ge_u (local.get $out) (local.get $end)))
        (local.set $in (i32.load (local.get $positions)))
        (local.set $taps (i32.load offset=4 (local.get $positions)))
        (local.set $a (v128.const f32x4 0 0 0 0))
        (local.set $b (v128.const f32x4 0 0 0 0))
        (local.set $left (local.get $pairs))
        (loop $tap
          (local.set $a (f32x4.add (local.get $a) (f32x4.mul (v128.load (local.get $in)) (v128.load (local.get $taps)))))
          (local.set $b (f32x4.add (local.get $b) (f32x4.mul (v128.load offset=16 (local.get $in)) (v128.load offset=16 (local.get $taps)))))
          (local.set $in (i32.add (local.get $in) (i32.const 32)))
          (local.set $taps (i32.add (local.get $taps) (i32.const 32)))
          (local.set $left (i32.sub (local.get $left) (i32.const 1)))
          (br_if $tap (local.get $left)))
        (local.set $a (f32x4.add (local.get $a) (local.get $b)))
        ;; The four lanes summed in f64, then rounded as Math.round does (half up) and clipped.
        (local.set $s
          (f64.add
            (f64.add (f64.promote_f32 (f32x4.extract_lane 0 (local.get $a))) (f64.promote_f32 (f32x4.extract_lane 1 (local.get $a))))
            (f64.add (f64.promote_f32 (f32x4.extract_lane 2 (local.get $a))) (f64.promote_f32 (f32x4.extract_lane 3 (local.get $a))))))
        (local.set $s (f64.floor (f64.add (local.get $s) (f64.const 0.5))))
        (local.set $s (f64.min (f64.max (local.get $s) (f64.const -32768)) (f64.const 32767)))
        (i32.store16 (local.get $out) (i32.trunc_f64_s (local.get $s)))
        (local.set $out (i32.add (local.get $out) (i32.const 2)))
        (local.set $positions (i32.add (local.get $positions) (i32.const 8)))
        (br $sample))))
)
