;; The inner loops of src/audio/resample.ts: one FIR dot product per output sample, four taps per
;; SIMD multiply (f32x4), two accumulators so consecutive adds do not wait on each other.
;; Compiled to resample-kernel.wasm by `npm run build:wasm` (wabt); `npm run build:wasm -- --check`
;; (run by CI) fails if the committed .wasm is not this file's compilation.
;;
;; Memory layout is the caller's (resample.ts writes it before each call): the filter table (f32,
;; one row of `pairs` × 8 taps per phase, zero-padded), the input window (f32), and `count` i16
;; output samples at `out`. Addresses are byte offsets; f32 arrays may be at any alignment.
(module
  (memory (export "memory") 1)

  ;; One output sample: the dot product of the taps at $taps with the input at $in, rounded as
  ;; Math.round does (half up) and clipped to 16 bits.
  (func $sample (param $in i32) (param $taps i32) (param $pairs i32) (result i32)
    (local $a v128) (local $b v128) (local $s f64)
    (local.set $a (v128.const f32x4 0 0 0 0))
    (local.set $b (v128.const f32x4 0 0 0 0))
    (loop $tap
      (local.set $a (f32x4.add (local.get $a) (f32x4.mul (v128.load (local.get $in)) (v128.load (local.get $taps)))))
      (local.set $b (f32x4.add (local.get $b) (f32x4.mul (v128.load offset=16 (local.get $in)) (v128.load offset=16 (local.get $taps)))))
      (local.set $in (i32.add (local.get $in) (i32.const 32)))
      (local.set $taps (i32.add (local.get $taps) (i32.const 32)))
      (local.set $pairs (i32.sub (local.get $pairs) (i32.const 1)))
      (br_if $tap (local.get $pairs)))
    (local.set $a (f32x4.add (local.get $a) (local.get $b)))
    ;; The four lanes summed in f64.
    (local.set $s
      (f64.add
        (f64.add (f64.promote_f32 (f32x4.extract_lane 0 (local.get $a))) (f64.promote_f32 (f32x4.extract_lane 1 (local.get $a))))
        (f64.add (f64.promote_f32 (f32x4.extract_lane 2 (local.get $a))) (f64.promote_f32 (f32x4.extract_lane 3 (local.get $a))))))
    (local.set $s (f64.floor (f64.add (local.get $s) (f64.const 0.5))))
    (i32.trunc_f64_s (f64.min (f64.max (local.get $s) (f64.const -32768)) (f64.const 32767))))

  ;; Outputs whose positions the caller computed: `count` pairs of i32 at $positions, each the
  ;; address of the output's input window and of its phase's taps.
  (func (export "filter") (param $count i32) (param $positions i32) (param $out i32) (param $pairs i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $out) (i32.shl (local.get $count) (i32.const 1))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $out) (local.get $end)))
        (i32.store16 (local.get $out)
          (call $sample (i32.load (local.get $positions)) (i32.load offset=4 (local.get $positions)) (local.get $pairs)))
        (local.set $out (i32.add (local.get $out) (i32.const 2)))
        (local.set $positions (i32.add (local.get $positions) (i32.const 8)))
        (br $next))))

  ;; Outputs of an exact ratio, stepped here: from the window at $in with phase $phase (of $up),
  ;; each next output moves $wholeBytes of input on and $phaseStep phases, carrying a whole input
  ;; sample (4 bytes) when the phase reaches $up. Phase p's taps are at $table + p × $strideBytes.
  (func (export "filterSteps")
    (param $count i32) (param $in i32) (param $phase i32) (param $up i32) (param $phaseStep i32) (param $wholeBytes i32)
    (param $table i32) (param $strideBytes i32) (param $out i32) (param $pairs i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $out) (i32.shl (local.get $count) (i32.const 1))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $out) (local.get $end)))
        (i32.store16 (local.get $out)
          (call $sample (local.get $in) (i32.add (local.get $table) (i32.mul (local.get $phase) (local.get $strideBytes))) (local.get $pairs)))
        (local.set $out (i32.add (local.get $out) (i32.const 2)))
        (local.set $in (i32.add (local.get $in) (local.get $wholeBytes)))
        (local.set $phase (i32.add (local.get $phase) (local.get $phaseStep)))
        (if (i32.ge_u (local.get $phase) (local.get $up))
          (then
            (local.set $phase (i32.sub (local.get $phase) (local.get $up)))
            (local.set $in (i32.add (local.get $in) (i32.const 4)))))
        (br $next))))
)
