;; The CPU backend's WebAssembly SIMD kernels (assembled at build time by scripts/build-wasm.mjs).
;;
;; MADD(x, y, acc) stands for acc + x·y on four f32 lanes: the build writes it as f32x4.add of an
;; f32x4.mul (every engine), and as f32x4.relaxed_madd in the second build (engines with relaxed
;; SIMD; fused where the CPU has FMA). A line with # in its names ($x#) is written twice by the
;; build, # as 0 then as 1: one step of the math for two independent vectors. Memory is the
;; module's own, grown by the caller.
(module
  (memory (export "memory") 1)

  ;; C = A·B on packed operands, one 4×8 tile of C at a time, the tile in eight f32x4 registers:
  ;;   A: 4-row panels [mp][k][4] at $a  (row 4i+r, column kk at ((i·k + kk)·4 + r)·4 bytes)
  ;;   B: 8-column panels [np][k][8] at $b
  ;;   C: row-major [4·mp, 8·np] at $c
  ;; Per k step: one 32-byte load of B, four broadcast loads of A, eight multiply-adds.
  ;; Cost: 2·(4·mp)·(8·np)·k flops; the B panel (32·k bytes) stays in cache across the mp tiles.
  (func (export "gemm_4x8") (param $a i32) (param $b i32) (param $c i32) (param $mp i32) (param $np i32) (param $k i32)
    (local $i i32) (local $j i32) (local $kk i32) (local $pa i32) (local $pb i32) (local $pc i32) (local $row i32)
    (local $s v128) (local $b0 v128) (local $b1 v128)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128) (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
    (if (i32.eqz (i32.mul (i32.mul (local.get $mp) (local.get $np)) (local.get $k))) (then (return)))
    (local.set $row (i32.shl (local.get $np) (i32.const 5)))  ;; bytes per row of C
    (local.set $j (i32.const 0))
    (loop $cols
      (local.set $i (i32.const 0))
      (loop $rows
        (local.set $c00 (v128.const i32x4 0 0 0 0))
        (local.set $c01 (v128.const i32x4 0 0 0 0))
        (local.set $c10 (v128.const i32x4 0 0 0 0))
        (local.set $c11 (v128.const i32x4 0 0 0 0))
        (local.set $c20 (v128.const i32x4 0 0 0 0))
        (local.set $c21 (v128.const i32x4 0 0 0 0))
        (local.set $c30 (v128.const i32x4 0 0 0 0))
        (local.set $c31 (v128.const i32x4 0 0 0 0))
        (local.set $pa (i32.add (local.get $a) (i32.mul (local.get $i) (i32.shl (local.get $k) (i32.const 4)))))
        (local.set $pb (i32.add (local.get $b) (i32.mul (local.get $j) (i32.shl (local.get $k) (i32.const 5)))))
        (local.set $kk (local.get $k))
        (loop $inner
          (local.set $b0 (v128.load offset=0 (local.get $pb)))
          (local.set $b1 (v128.load offset=16 (local.get $pb)))
          (local.set $s (v128.load32_splat offset=0 (local.get $pa)))
          (local.set $c00 (MADD (local.get $s) (local.get $b0) (local.get $c00)))
          (local.set $c01 (MADD (local.get $s) (local.get $b1) (local.get $c01)))
          (local.set $s (v128.load32_splat offset=4 (local.get $pa)))
          (local.set $c10 (MADD (local.get $s) (local.get $b0) (local.get $c10)))
          (local.set $c11 (MADD (local.get $s) (local.get $b1) (local.get $c11)))
          (local.set $s (v128.load32_splat offset=8 (local.get $pa)))
          (local.set $c20 (MADD (local.get $s) (local.get $b0) (local.get $c20)))
          (local.set $c21 (MADD (local.get $s) (local.get $b1) (local.get $c21)))
          (local.set $s (v128.load32_splat offset=12 (local.get $pa)))
          (local.set $c30 (MADD (local.get $s) (local.get $b0) (local.get $c30)))
          (local.set $c31 (MADD (local.get $s) (local.get $b1) (local.get $c31)))
          (local.set $pa (i32.add (local.get $pa) (i32.const 16)))
          (local.set $pb (i32.add (local.get $pb) (i32.const 32)))
          (br_if $inner (local.tee $kk (i32.sub (local.get $kk) (i32.const 1)))))
        ;; the tile's four rows: C[4i + r, 8j .. 8j + 7]
        (local.set $pc (i32.add (i32.add (local.get $c) (i32.mul (i32.shl (local.get $i) (i32.const 2)) (local.get $row))) (i32.shl (local.get $j) (i32.const 5))))
          (v128.store offset=0 (local.get $pc) (local.get $c00))
          (v128.store offset=16 (local.get $pc) (local.get $c01))
          (local.set $pc (i32.add (local.get $pc) (local.get $row)))
          (v128.store offset=0 (local.get $pc) (local.get $c10))
          (v128.store offset=16 (local.get $pc) (local.get $c11))
          (local.set $pc (i32.add (local.get $pc) (local.get $row)))
          (v128.store offset=0 (local.get $pc) (local.get $c20))
          (v128.store offset=16 (local.get $pc) (local.get $c21))
          (local.set $pc (i32.add (local.get $pc) (local.get $row)))
          (v128.store offset=0 (local.get $pc) (local.get $c30))
          (v128.store offset=16 (local.get $pc) (local.get $c31))
        (br_if $rows (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $mp))))
      (br_if $cols (i32.lt_u (local.tee $j (i32.add (local.get $j) (i32.const 1))) (local.get $np))))
  )

  ;; One output plane of a depthwise (one input channel per output) convolution, added into what
  ;; $out holds:
  ;;   out[oy, ox] += Σ_{ky, kx} w[ky, kx] · in[oy·s + ky, ox·s + kx]
  ;; The input plane is zero-padded by the caller (row stride $iw floats, every read inside it); the
  ;; output rows are $ow4 floats apart ($ow4 a multiple of 4). dw_s1 for stride 1 (unaligned loads
  ;; of neighbours), dw_s2 for stride 2 (eight neighbours per four outputs, the even lanes kept).
  ;; Sixteen outputs of a row per step in four accumulators, each weight loaded once for the four
  ;; (one accumulator made every tap wait on the last one's add: ~4 cycles per multiply-add), then
  ;; the row's rest four at a time; every output sums its taps in the same order either way.
  ;; Cost: 2·oh·ow4·kh·kw flops.
  (func $dw_s1 (export "dw_s1") (param $in i32) (param $w i32) (param $out i32) (param $iw i32) (param $oh i32) (param $ow4 i32) (param $kh i32) (param $kw i32)
    (local $oy i32) (local $ox i32) (local $ky i32) (local $kx i32) (local $row i32) (local $pw i32) (local $po i32) (local $ow16 i32)
    (local $wv v128) (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128) (local $x0 v128) (local $x1 v128) (local $x2 v128) (local $x3 v128)
    (local.set $ow16 (i32.and (local.get $ow4) (i32.const -16)))
    (local.set $po (local.get $out))
    (local.set $oy (i32.const 0))
    (loop $rows
      (local.set $ox (i32.const 0))
      ;; sixteen outputs per step, four accumulators sharing each weight
      (block $done16 (loop $cols16
        (br_if $done16 (i32.ge_u (local.get $ox) (local.get $ow16)))
        (local.set $a0 (v128.load offset=0 (local.get $po)))
        (local.set $a1 (v128.load offset=16 (local.get $po)))
        (local.set $a2 (v128.load offset=32 (local.get $po)))
        (local.set $a3 (v128.load offset=48 (local.get $po)))
        (local.set $pw (local.get $w))
        (local.set $ky (i32.const 0))
        (loop $taprows16
          (local.set $row (i32.add (local.get $in) (i32.shl (i32.add (i32.mul (i32.add (local.get $oy) (local.get $ky)) (local.get $iw)) (local.get $ox)) (i32.const 2))))
          (local.set $kx (local.get $kw))
          (loop $taps16
            (local.set $wv (v128.load32_splat (local.get $pw)))
            (local.set $x0 (v128.load offset=0 (local.get $row)))
            (local.set $x1 (v128.load offset=16 (local.get $row)))
            (local.set $x2 (v128.load offset=32 (local.get $row)))
            (local.set $x3 (v128.load offset=48 (local.get $row)))
            (local.set $a0 (MADD (local.get $wv) (local.get $x0) (local.get $a0)))
            (local.set $a1 (MADD (local.get $wv) (local.get $x1) (local.get $a1)))
            (local.set $a2 (MADD (local.get $wv) (local.get $x2) (local.get $a2)))
            (local.set $a3 (MADD (local.get $wv) (local.get $x3) (local.get $a3)))
            (local.set $pw (i32.add (local.get $pw) (i32.const 4)))
            (local.set $row (i32.add (local.get $row) (i32.const 4)))
            (br_if $taps16 (local.tee $kx (i32.sub (local.get $kx) (i32.const 1)))))
          (br_if $taprows16 (i32.lt_u (local.tee $ky (i32.add (local.get $ky) (i32.const 1))) (local.get $kh))))
        (v128.store offset=0 (local.get $po) (local.get $a0))
        (v128.store offset=16 (local.get $po) (local.get $a1))
        (v128.store offset=32 (local.get $po) (local.get $a2))
        (v128.store offset=48 (local.get $po) (local.get $a3))
        (local.set $po (i32.add (local.get $po) (i32.const 64)))
        (local.set $ox (i32.add (local.get $ox) (i32.const 16)))
        (br $cols16)))
      ;; the rest, four at a time
      (block $done4 (loop $cols
        (br_if $done4 (i32.ge_u (local.get $ox) (local.get $ow4)))
        (local.set $a0 (v128.load (local.get $po)))
        (local.set $pw (local.get $w))
        (local.set $ky (i32.const 0))
        (loop $taprows
          (local.set $row (i32.add (local.get $in) (i32.shl (i32.add (i32.mul (i32.add (local.get $oy) (local.get $ky)) (local.get $iw)) (local.get $ox)) (i32.const 2))))
          (local.set $kx (local.get $kw))
          (loop $taps
            (local.set $wv (v128.load32_splat (local.get $pw)))
            (local.set $x0 (v128.load offset=0 (local.get $row)))
            (local.set $a0 (MADD (local.get $wv) (local.get $x0) (local.get $a0)))
            (local.set $pw (i32.add (local.get $pw) (i32.const 4)))
            (local.set $row (i32.add (local.get $row) (i32.const 4)))
            (br_if $taps (local.tee $kx (i32.sub (local.get $kx) (i32.const 1)))))
          (br_if $taprows (i32.lt_u (local.tee $ky (i32.add (local.get $ky) (i32.const 1))) (local.get $kh))))
        (v128.store (local.get $po) (local.get $a0))
        (local.set $po (i32.add (local.get $po) (i32.const 16)))
        (local.set $ox (i32.add (local.get $ox) (i32.const 4)))
        (br $cols)))
      (br_if $rows (i32.lt_u (local.tee $oy (i32.add (local.get $oy) (i32.const 1))) (local.get $oh))))
  )

  (func $dw_s2 (export "dw_s2") (param $in i32) (param $w i32) (param $out i32) (param $iw i32) (param $oh i32) (param $ow4 i32) (param $kh i32) (param $kw i32)
    (local $oy i32) (local $ox i32) (local $ky i32) (local $kx i32) (local $row i32) (local $pw i32) (local $po i32) (local $ow16 i32)
    (local $wv v128) (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128) (local $x0 v128) (local $x1 v128) (local $x2 v128) (local $x3 v128)
    (local.set $ow16 (i32.and (local.get $ow4) (i32.const -16)))
    (local.set $po (local.get $out))
    (local.set $oy (i32.const 0))
    (loop $rows
      (local.set $ox (i32.const 0))
      ;; sixteen outputs per step, four accumulators sharing each weight
      (block $done16 (loop $cols16
        (br_if $done16 (i32.ge_u (local.get $ox) (local.get $ow16)))
        (local.set $a0 (v128.load offset=0 (local.get $po)))
        (local.set $a1 (v128.load offset=16 (local.get $po)))
        (local.set $a2 (v128.load offset=32 (local.get $po)))
        (local.set $a3 (v128.load offset=48 (local.get $po)))
        (local.set $pw (local.get $w))
        (local.set $ky (i32.const 0))
        (loop $taprows16
          (local.set $row (i32.add (local.get $in) (i32.shl (i32.add (i32.mul (i32.add (i32.shl (local.get $oy) (i32.const 1)) (local.get $ky)) (local.get $iw)) (i32.shl (local.get $ox) (i32.const 1))) (i32.const 2))))
          (local.set $kx (local.get $kw))
          (loop $taps16
            (local.set $wv (v128.load32_splat (local.get $pw)))
            (local.set $x0 (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (v128.load offset=0 (local.get $row)) (v128.load offset=16 (local.get $row))))
            (local.set $x1 (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (v128.load offset=32 (local.get $row)) (v128.load offset=48 (local.get $row))))
            (local.set $x2 (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (v128.load offset=64 (local.get $row)) (v128.load offset=80 (local.get $row))))
            (local.set $x3 (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (v128.load offset=96 (local.get $row)) (v128.load offset=112 (local.get $row))))
            (local.set $a0 (MADD (local.get $wv) (local.get $x0) (local.get $a0)))
            (local.set $a1 (MADD (local.get $wv) (local.get $x1) (local.get $a1)))
            (local.set $a2 (MADD (local.get $wv) (local.get $x2) (local.get $a2)))
            (local.set $a3 (MADD (local.get $wv) (local.get $x3) (local.get $a3)))
            (local.set $pw (i32.add (local.get $pw) (i32.const 4)))
            (local.set $row (i32.add (local.get $row) (i32.const 4)))
            (br_if $taps16 (local.tee $kx (i32.sub (local.get $kx) (i32.const 1)))))
          (br_if $taprows16 (i32.lt_u (local.tee $ky (i32.add (local.get $ky) (i32.const 1))) (local.get $kh))))
        (v128.store offset=0 (local.get $po) (local.get $a0))
        (v128.store offset=16 (local.get $po) (local.get $a1))
        (v128.store offset=32 (local.get $po) (local.get $a2))
        (v128.store offset=48 (local.get $po) (local.get $a3))
        (local.set $po (i32.add (local.get $po) (i32.const 64)))
        (local.set $ox (i32.add (local.get $ox) (i32.const 16)))
        (br $cols16)))
      ;; the rest, four at a time
      (block $done4 (loop $cols
        (br_if $done4 (i32.ge_u (local.get $ox) (local.get $ow4)))
        (local.set $a0 (v128.load (local.get $po)))
        (local.set $pw (local.get $w))
        (local.set $ky (i32.const 0))
        (loop $taprows
          (local.set $row (i32.add (local.get $in) (i32.shl (i32.add (i32.mul (i32.add (i32.shl (local.get $oy) (i32.const 1)) (local.get $ky)) (local.get $iw)) (i32.shl (local.get $ox) (i32.const 1))) (i32.const 2))))
          (local.set $kx (local.get $kw))
          (loop $taps
            (local.set $wv (v128.load32_splat (local.get $pw)))
            (local.set $x0 (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (v128.load offset=0 (local.get $row)) (v128.load offset=16 (local.get $row))))
            (local.set $a0 (MADD (local.get $wv) (local.get $x0) (local.get $a0)))
            (local.set $pw (i32.add (local.get $pw) (i32.const 4)))
            (local.set $row (i32.add (local.get $row) (i32.const 4)))
            (br_if $taps (local.tee $kx (i32.sub (local.get $kx) (i32.const 1)))))
          (br_if $taprows (i32.lt_u (local.tee $ky (i32.add (local.get $ky) (i32.const 1))) (local.get $kh))))
        (v128.store (local.get $po) (local.get $a0))
        (local.set $po (i32.add (local.get $po) (i32.const 16)))
        (local.set $ox (i32.add (local.get $ox) (i32.const 4)))
        (br $cols)))
      (br_if $rows (i32.lt_u (local.tee $oy (i32.add (local.get $oy) (i32.const 1))) (local.get $oh))))
  )

  ;; Output planes [$p0, $p1) of a conv with one input channel per output (depthwise, and the ×2
  ;; expanding convs), each plane whole: its input plane zero-padded into $scratch (once per input
  ;; plane, whichever outputs it feeds), dw_s1 or dw_s2 into the plane of $ow4-float rows after it,
  ;; the bias and activation there (as the GEMM epilogue does them: bias, then act), then the $ow
  ;; columns of each row to the output. A plane's values do not depend on which call, or thread,
  ;; computes it: the thread pool splits the planes between threads, each with scratch of its own.
  ;; $desc holds the job as i32s (operands as byte offsets; wasm-kernels.ts's DepthwiseJob and
  ;; DEPTHWISE_FIELDS write it in this order):
  ;;   0 x [N, Cin, H, W]   4 w [Cout, kh·kw]   8 bias [Cout] (or -1)   12 y [N, Cout, oh, ow]
  ;;  16 Cin  20 H  24 W  28 Cout  32 Cout/Cin  36 kh  40 kw  44 oh  48 ow  52 ow4  56 iw  60 ih
  ;;  64 ph  68 pw  72 stride (1 or 2)  76 act  80 rows copied  84 columns copied
  ;; Scratch: ih·iw + oh·ow4 floats. Cost: 2·oh·ow4·kh·kw flops per plane, plus the padding copy.
  (func (export "depthwise_planes") (param $desc i32) (param $p0 i32) (param $p1 i32) (param $scratch i32)
    (local $p i32) (local $oc i32) (local $in i32) (local $last i32) (local $outp i32) (local $plane i32) (local $ow4 i32) (local $oh i32) (local $ow i32)
    (local $i i32) (local $end i32) (local $src i32) (local $dst i32) (local $bv v128)
    (if (i32.ge_u (local.get $p0) (local.get $p1)) (then (return)))
    (local.set $oh (i32.load offset=44 (local.get $desc)))
    (local.set $ow (i32.load offset=48 (local.get $desc)))
    (local.set $ow4 (i32.load offset=52 (local.get $desc)))
    (local.set $plane (i32.shl (i32.mul (i32.load offset=60 (local.get $desc)) (i32.load offset=56 (local.get $desc))) (i32.const 2)))  ;; padded plane, bytes
    (local.set $outp (i32.add (local.get $scratch) (local.get $plane)))
    (local.set $last (i32.const -1))
    (local.set $p (local.get $p0))
    (loop $planes
      ;; p = b·Cout + oc; its input plane b·Cin + oc/(Cout/Cin)
      (local.set $oc (i32.rem_u (local.get $p) (i32.load offset=28 (local.get $desc))))
      (local.set $in (i32.add
        (i32.mul (i32.div_u (local.get $p) (i32.load offset=28 (local.get $desc))) (i32.load offset=16 (local.get $desc)))
        (i32.div_u (local.get $oc) (i32.load offset=32 (local.get $desc)))))
      (if (i32.ne (local.get $in) (local.get $last))
        (then
          (memory.fill (local.get $scratch) (i32.const 0) (local.get $plane))
          (call $pad_plane
            (i32.add (i32.load offset=0 (local.get $desc)) (i32.shl (i32.mul (local.get $in) (i32.mul (i32.load offset=20 (local.get $desc)) (i32.load offset=24 (local.get $desc)))) (i32.const 2)))
            (local.get $scratch) (i32.load offset=80 (local.get $desc)) (i32.load offset=84 (local.get $desc)) (i32.load offset=24 (local.get $desc))
            (i32.load offset=56 (local.get $desc)) (i32.load offset=64 (local.get $desc)) (i32.load offset=68 (local.get $desc)))
          (local.set $last (local.get $in))))
      (memory.fill (local.get $outp) (i32.const 0) (i32.shl (i32.mul (local.get $oh) (local.get $ow4)) (i32.const 2)))
      (if (i32.eq (i32.load offset=72 (local.get $desc)) (i32.const 1))
        (then (call $dw_s1 (local.get $scratch) (i32.add (i32.load offset=4 (local.get $desc)) (i32.shl (i32.mul (local.get $oc) (i32.mul (i32.load offset=36 (local.get $desc)) (i32.load offset=40 (local.get $desc)))) (i32.const 2)))
          (local.get $outp) (i32.load offset=56 (local.get $desc)) (local.get $oh) (local.get $ow4) (i32.load offset=36 (local.get $desc)) (i32.load offset=40 (local.get $desc))))
        (else (call $dw_s2 (local.get $scratch) (i32.add (i32.load offset=4 (local.get $desc)) (i32.shl (i32.mul (local.get $oc) (i32.mul (i32.load offset=36 (local.get $desc)) (i32.load offset=40 (local.get $desc)))) (i32.const 2)))
          (local.get $outp) (i32.load offset=56 (local.get $desc)) (local.get $oh) (local.get $ow4) (i32.load offset=36 (local.get $desc)) (i32.load offset=40 (local.get $desc)))))
      (local.set $end (i32.add (local.get $outp) (i32.shl (i32.mul (local.get $oh) (local.get $ow4)) (i32.const 2))))
      (if (i32.ge_s (i32.load offset=8 (local.get $desc)) (i32.const 0))
        (then
          (local.set $bv (v128.load32_splat (i32.add (i32.load offset=8 (local.get $desc)) (i32.shl (local.get $oc) (i32.const 2)))))
          (local.set $i (local.get $outp))
          (loop $bias
            (v128.store (local.get $i) (f32x4.add (v128.load (local.get $i)) (local.get $bv)))
            (br_if $bias (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 16))) (local.get $end))))))
      (if (i32.load offset=76 (local.get $desc))
        (then (call $activate_n (local.get $outp) (i32.mul (local.get $oh) (local.get $ow4)) (i32.load offset=76 (local.get $desc)))))
      ;; the plane's ow columns of each row to y[p]
      (local.set $src (local.get $outp))
      (local.set $dst (i32.add (i32.load offset=12 (local.get $desc)) (i32.shl (i32.mul (local.get $p) (i32.mul (local.get $oh) (local.get $ow))) (i32.const 2))))
      (loop $rows
        (memory.copy (local.get $dst) (local.get $src) (i32.shl (local.get $ow) (i32.const 2)))
        (local.set $dst (i32.add (local.get $dst) (i32.shl (local.get $ow) (i32.const 2))))
        (br_if $rows (i32.lt_u (local.tee $src (i32.add (local.get $src) (i32.shl (local.get $ow4) (i32.const 2)))) (local.get $end))))
      (br_if $planes (i32.lt_u (local.tee $p (i32.add (local.get $p) (i32.const 1))) (local.get $p1))))
  )

;; The machine's multiply-add ceiling for these kernels: $iters steps of twelve independent
  ;; multiply-adds on four lanes (no memory traffic), the sum stored at $out so none is dropped.
  ;; Twelve chains: a fused multiply-add's latency (4-5 cycles) times the units (2) is about ten in
  ;; flight; with eight the loop measured less than the GEMM kernel reaches.
  ;; Cost: 96·iters flops.
  (func (export "madd_peak") (param $iters i32) (param $out i32)
    (local $x v128) (local $y v128) (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128) (local $a4 v128) (local $a5 v128) (local $a6 v128) (local $a7 v128) (local $a8 v128) (local $a9 v128) (local $a10 v128) (local $a11 v128)
    (local.set $x (v128.const f32x4 0.999 0.999 0.999 0.999))
    (local.set $y (v128.const f32x4 0.001 0.001 0.001 0.001))
    (local.set $a0 (v128.const f32x4 0 0 0 0))
    (local.set $a1 (v128.const f32x4 1 1 1 1))
    (local.set $a2 (v128.const f32x4 2 2 2 2))
    (local.set $a3 (v128.const f32x4 3 3 3 3))
    (local.set $a4 (v128.const f32x4 4 4 4 4))
    (local.set $a5 (v128.const f32x4 5 5 5 5))
    (local.set $a6 (v128.const f32x4 6 6 6 6))
    (local.set $a7 (v128.const f32x4 7 7 7 7))
    (local.set $a8 (v128.const f32x4 8 8 8 8))
    (local.set $a9 (v128.const f32x4 9 9 9 9))
    (local.set $a10 (v128.const f32x4 10 10 10 10))
    (local.set $a11 (v128.const f32x4 11 11 11 11))
    (loop $steps
      (local.set $a0 (MADD (local.get $x) (local.get $y) (local.get $a0)))
      (local.set $a1 (MADD (local.get $x) (local.get $y) (local.get $a1)))
      (local.set $a2 (MADD (local.get $x) (local.get $y) (local.get $a2)))
      (local.set $a3 (MADD (local.get $x) (local.get $y) (local.get $a3)))
      (local.set $a4 (MADD (local.get $x) (local.get $y) (local.get $a4)))
      (local.set $a5 (MADD (local.get $x) (local.get $y) (local.get $a5)))
      (local.set $a6 (MADD (local.get $x) (local.get $y) (local.get $a6)))
      (local.set $a7 (MADD (local.get $x) (local.get $y) (local.get $a7)))
      (local.set $a8 (MADD (local.get $x) (local.get $y) (local.get $a8)))
      (local.set $a9 (MADD (local.get $x) (local.get $y) (local.get $a9)))
      (local.set $a10 (MADD (local.get $x) (local.get $y) (local.get $a10)))
      (local.set $a11 (MADD (local.get $x) (local.get $y) (local.get $a11)))
      (br_if $steps (local.tee $iters (i32.sub (local.get $iters) (i32.const 1)))))
    (v128.store (local.get $out) (f32x4.add (f32x4.add (f32x4.add (f32x4.add (f32x4.add (f32x4.add (f32x4.add (f32x4.add (f32x4.add (f32x4.add (f32x4.add (local.get $a0) (local.get $a1)) (local.get $a2)) (local.get $a3)) (local.get $a4)) (local.get $a5)) (local.get $a6)) (local.get $a7)) (local.get $a8)) (local.get $a9)) (local.get $a10)) (local.get $a11)))
  )

  ;; ---- activations, on four lanes, in float32 ------------------------------------------------

  ;; exp(x): x = k·ln2 + r (k rounded to nearest, ln2 split so k·ln2 is exact to float32), exp(r)
  ;; by its degree-6 polynomial (Cephes' expf coefficients, |error| ≲ 1 ulp), times 2^k built in
  ;; the exponent bits. x is clamped to [-87.3, 88.3] (2^k stays a normal float). 2^k's bits: k is
  ;; a whole float in [-126, 127], so k + (2^23 + 127) holds k + 127 in its low mantissa bits
  ;; (exactly), and shifting the word left by 23 leaves (k + 127) << 23 — one add and one shift,
  ;; where i32x4.trunc_sat_f32x4_s is some eight instructions on x64. The clamps are pmin/pmax (one
  ;; minps/maxps; f32x4.min/max's NaN and ±0 rules cost several more), x first so a NaN stays NaN.
  (func $exp (param $x v128) (result v128)
    (local $k v128) (local $r v128) (local $p v128)
    (local.set $x (f32x4.pmax (f32x4.pmin (local.get $x) (v128.const f32x4 88.3 88.3 88.3 88.3)) (v128.const f32x4 -87.3 -87.3 -87.3 -87.3)))
    (local.set $k (f32x4.nearest (f32x4.mul (local.get $x) (v128.const f32x4 1.44269504 1.44269504 1.44269504 1.44269504))))
    (local.set $r (f32x4.sub (local.get $x) (f32x4.mul (local.get $k) (v128.const f32x4 0.693359375 0.693359375 0.693359375 0.693359375))))
    (local.set $r (f32x4.sub (local.get $r) (f32x4.mul (local.get $k) (v128.const f32x4 -2.12194440e-4 -2.12194440e-4 -2.12194440e-4 -2.12194440e-4))))
    (local.set $p (v128.const f32x4 1.9875691500e-4 1.9875691500e-4 1.9875691500e-4 1.9875691500e-4))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (v128.const f32x4 1.3981999507e-3 1.3981999507e-3 1.3981999507e-3 1.3981999507e-3)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (v128.const f32x4 8.3334519073e-3 8.3334519073e-3 8.3334519073e-3 8.3334519073e-3)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (v128.const f32x4 4.1665795894e-2 4.1665795894e-2 4.1665795894e-2 4.1665795894e-2)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (v128.const f32x4 1.6666665459e-1 1.6666665459e-1 1.6666665459e-1 1.6666665459e-1)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (v128.const f32x4 5.0000001201e-1 5.0000001201e-1 5.0000001201e-1 5.0000001201e-1)))
    (local.set $p (f32x4.add (f32x4.add (f32x4.mul (f32x4.mul (local.get $p) (local.get $r)) (local.get $r)) (local.get $r)) (v128.const f32x4 1 1 1 1)))
    ;; 2^k: (k + 127) in the exponent field
    (f32x4.mul (local.get $p) (i32x4.shl (f32x4.add (local.get $k) (v128.const f32x4 8388735 8388735 8388735 8388735)) (i32.const 23)))
  )

  ;; GELU(x) = 0.5·x·(1 + erf(x/√2)) from the float32 fits the WGSL kernels use (wgsl/math.ts):
  ;; near 0, erf(z) = z + z·P(z²); beyond |x| = 1.2374, erfc(t/√2) = w·exp(−t²/2 + Q(w)) with
  ;; w = 1/(1 + t/(2√2)), t = |x|, so the negative tail keeps its relative precision.
  (func $gelu (param $x v128) (result v128)
    (local $z v128) (local $s v128) (local $r v128) (local $small v128) (local $t v128) (local $w v128) (local $q v128) (local $erfc v128) (local $half v128)
    (local.set $half (f32x4.mul (local.get $x) (v128.const f32x4 0.5 0.5 0.5 0.5)))
    (local.set $z (f32x4.mul (local.get $x) (v128.const f32x4 0.7071067811865476 0.7071067811865476 0.7071067811865476 0.7071067811865476)))
    (local.set $s (f32x4.mul (local.get $z) (local.get $z)))
    (local.set $r (v128.const f32x4 8.643504734156995e-05 8.643504734156995e-05 8.643504734156995e-05 8.643504734156995e-05))
    (local.set $r (f32x4.add (f32x4.mul (local.get $r) (local.get $s)) (v128.const f32x4 -0.0008205637949759792 -0.0008205637949759792 -0.0008205637949759792 -0.0008205637949759792)))
    (local.set $r (f32x4.add (f32x4.mul (local.get $r) (local.get $s)) (v128.const f32x4 0.005206435031575912 0.005206435031575912 0.005206435031575912 0.005206435031575912)))
    (local.set $r (f32x4.add (f32x4.mul (local.get $r) (local.get $s)) (v128.const f32x4 -0.026861522359817664 -0.026861522359817664 -0.026861522359817664 -0.026861522359817664)))
    (local.set $r (f32x4.add (f32x4.mul (local.get $r) (local.get $s)) (v128.const f32x4 0.11283732957113042 0.11283732957113042 0.11283732957113042 0.11283732957113042)))
    (local.set $r (f32x4.add (f32x4.mul (local.get $r) (local.get $s)) (v128.const f32x4 -0.3761263613006763 -0.3761263613006763 -0.3761263613006763 -0.3761263613006763)))
    (local.set $r (f32x4.add (f32x4.mul (local.get $r) (local.get $s)) (v128.const f32x4 0.1283791668828856 0.1283791668828856 0.1283791668828856 0.1283791668828856)))
    ;; 0.5·x·(1 + z + z·r)
    (local.set $small (f32x4.mul (local.get $half) (f32x4.add (v128.const f32x4 1 1 1 1) (f32x4.add (local.get $z) (f32x4.mul (local.get $z) (local.get $r))))))
    (local.set $t (f32x4.pmin (f32x4.abs (local.get $x)) (v128.const f32x4 14.5 14.5 14.5 14.5)))
    (local.set $w (f32x4.div (v128.const f32x4 1 1 1 1) (f32x4.add (v128.const f32x4 1 1 1 1) (f32x4.mul (local.get $t) (v128.const f32x4 0.3535533905932738 0.3535533905932738 0.3535533905932738 0.3535533905932738)))))
    (local.set $q (v128.const f32x4 0.21273615619117334 0.21273615619117334 0.21273615619117334 0.21273615619117334))
    (local.set $q (f32x4.add (f32x4.mul (local.get $q) (local.get $w)) (v128.const f32x4 -1.038629903102553 -1.038629903102553 -1.038629903102553 -1.038629903102553)))
    (local.set $q (f32x4.add (f32x4.mul (local.get $q) (local.get $w)) (v128.const f32x4 1.946292638264915 1.946292638264915 1.946292638264915 1.946292638264915)))
    (local.set $q (f32x4.add (f32x4.mul (local.get $q) (local.get $w)) (v128.const f32x4 -1.6596472562432805 -1.6596472562432805 -1.6596472562432805 -1.6596472562432805)))
    (local.set $q (f32x4.add (f32x4.mul (local.get $q) (local.get $w)) (v128.const f32x4 0.6383543579594304 0.6383543579594304 0.6383543579594304 0.6383543579594304)))
    (local.set $q (f32x4.add (f32x4.mul (local.get $q) (local.get $w)) (v128.const f32x4 -0.33892047027805844 -0.33892047027805844 -0.33892047027805844 -0.33892047027805844)))
    (local.set $q (f32x4.add (f32x4.mul (local.get $q) (local.get $w)) (v128.const f32x4 0.13677829934646338 0.13677829934646338 0.13677829934646338 0.13677829934646338)))
    (local.set $q (f32x4.add (f32x4.mul (local.get $q) (local.get $w)) (v128.const f32x4 0.3678774660897338 0.3678774660897338 0.3678774660897338 0.3678774660897338)))
    (local.set $q (f32x4.add (f32x4.mul (local.get $q) (local.get $w)) (v128.const f32x4 1.0005432462599755 1.0005432462599755 1.0005432462599755 1.0005432462599755)))
    (local.set $q (f32x4.add (f32x4.mul (local.get $q) (local.get $w)) (v128.const f32x4 -1.2655301956055822 -1.2655301956055822 -1.2655301956055822 -1.2655301956055822)))
    (local.set $erfc (f32x4.mul (local.get $w) (call $exp (f32x4.add (f32x4.mul (f32x4.mul (local.get $t) (local.get $t)) (v128.const f32x4 -0.5 -0.5 -0.5 -0.5)) (local.get $q)))))
    ;; x < 0: 0.5·x·erfc; x > 0: x − 0.5·x·erfc; |x| ≤ 1.2374: the small form
    (v128.bitselect
      (local.get $small)
      (v128.bitselect
        (f32x4.mul (local.get $half) (local.get $erfc))
        (f32x4.sub (local.get $x) (f32x4.mul (local.get $half) (local.get $erfc)))
        (f32x4.lt (local.get $x) (v128.const f32x4 0 0 0 0)))
      (f32x4.le (f32x4.abs (local.get $x)) (v128.const f32x4 1.2374368670764582 1.2374368670764582 1.2374368670764582 1.2374368670764582)))
  )

  ;; act (0 none, 1 GELU, 2 ReLU, 3 sigmoid) of four values
  (func $activate (param $x v128) (param $act i32) (result v128)
    (if (i32.eq (local.get $act) (i32.const 1)) (then (return (call $gelu (local.get $x)))))
    (if (i32.eq (local.get $act) (i32.const 2)) (then (return (f32x4.max (local.get $x) (v128.const f32x4 0 0 0 0)))))
    (if (i32.eq (local.get $act) (i32.const 3)) (then (return (f32x4.div (v128.const f32x4 1 1 1 1) (f32x4.add (v128.const f32x4 1 1 1 1) (call $exp (f32x4.neg (local.get $x))))))))
    (local.get $x)
  )

  ;; x[i] = act(x[i]) in place, i < n (a multiple of 4).
  (func $activate_n (param $x i32) (param $n i32) (param $act i32)
    (call $activate_all (local.get $x) (local.get $x) (local.get $n) (local.get $act)))

  ;; y[i] = act(x[i]) for i < n (n a multiple of 4; the caller pads). Cost: memory bound (GELU ~60 ops per 4).
  (func $activate_all (export "activate") (param $x i32) (param $y i32) (param $n i32) (param $act i32)
    (local $end i32)
    (if (i32.eqz (local.get $n)) (then (return)))
    (if (i32.eq (local.get $act) (i32.const 1)) (then (call $gelu_n (local.get $x) (local.get $y) (local.get $n)) (return)))
    (local.set $end (i32.add (local.get $x) (i32.shl (local.get $n) (i32.const 2))))
    (loop $each
      (v128.store (local.get $y) (call $activate (v128.load (local.get $x)) (local.get $act)))
      (local.set $y (i32.add (local.get $y) (i32.const 16)))
      (br_if $each (i32.lt_u (local.tee $x (i32.add (local.get $x) (i32.const 16))) (local.get $end))))
  )

;; y[i] = GELU(x[i]), i < n (a multiple of 4): $gelu's computation (with $exp) inlined in the
  ;; loop, its 36 constants in registers from before it — materialising them for each four values
  ;; cost more than the arithmetic. Two vectors per step (the lines with # below, written once for
  ;; each: see the file's head): the polynomials are long chains of dependent operations, and two
  ;; independent chains keep the multiply-add units busy (1M values: 8.4 → 5.4 ns each, one thread).
  ;; Where one vector is left, the second is the same four values again. Horner steps are MADDs.
  ;; Cost: ~60 operations per four values.
  (func $gelu_n (param $px i32) (param $py i32) (param $n i32)
    (local $end i32) (local $step i32)
    (local $x# v128) (local $z# v128) (local $s# v128) (local $r# v128) (local $small# v128) (local $t# v128) (local $w# v128) (local $q# v128) (local $erfc# v128) (local $half# v128) (local $ex# v128) (local $ek# v128) (local $er# v128) (local $ep# v128) (local $tail# v128)
    (local $k0 v128) (local $k1 v128) (local $k2 v128) (local $k3 v128) (local $k4 v128) (local $k5 v128) (local $k6 v128) (local $k7 v128) (local $k8 v128) (local $k9 v128) (local $k10 v128) (local $k11 v128) (local $k12 v128) (local $k13 v128) (local $k14 v128) (local $k15 v128) (local $k16 v128) (local $k17 v128) (local $k18 v128) (local $k19 v128) (local $k20 v128) (local $k21 v128) (local $k22 v128) (local $k23 v128) (local $k24 v128) (local $k25 v128) (local $k26 v128) (local $k27 v128) (local $k28 v128) (local $k29 v128) (local $k30 v128) (local $k31 v128) (local $k32 v128) (local $k33 v128) (local $k34 v128) (local $k35 v128) (local $k36 v128)
    (local.set $k0 (v128.const f32x4 88.3 88.3 88.3 88.3))
    (local.set $k1 (v128.const f32x4 -87.3 -87.3 -87.3 -87.3))
    (local.set $k2 (v128.const f32x4 1.44269504 1.44269504 1.44269504 1.44269504))
    (local.set $k3 (v128.const f32x4 0.693359375 0.693359375 0.693359375 0.693359375))
    (local.set $k4 (v128.const f32x4 -2.12194440e-4 -2.12194440e-4 -2.12194440e-4 -2.12194440e-4))
    (local.set $k5 (v128.const f32x4 1.9875691500e-4 1.9875691500e-4 1.9875691500e-4 1.9875691500e-4))
    (local.set $k6 (v128.const f32x4 1.3981999507e-3 1.3981999507e-3 1.3981999507e-3 1.3981999507e-3))
    (local.set $k7 (v128.const f32x4 8.3334519073e-3 8.3334519073e-3 8.3334519073e-3 8.3334519073e-3))
    (local.set $k8 (v128.const f32x4 4.1665795894e-2 4.1665795894e-2 4.1665795894e-2 4.1665795894e-2))
    (local.set $k9 (v128.const f32x4 1.6666665459e-1 1.6666665459e-1 1.6666665459e-1 1.6666665459e-1))
    (local.set $k10 (v128.const f32x4 5.0000001201e-1 5.0000001201e-1 5.0000001201e-1 5.0000001201e-1))
    (local.set $k11 (v128.const f32x4 1 1 1 1))
    (local.set $k12 (v128.const f32x4 0.5 0.5 0.5 0.5))
    (local.set $k13 (v128.const f32x4 0.7071067811865476 0.7071067811865476 0.7071067811865476 0.7071067811865476))
    (local.set $k14 (v128.const f32x4 8.643504734156995e-05 8.643504734156995e-05 8.643504734156995e-05 8.643504734156995e-05))
    (local.set $k15 (v128.const f32x4 -0.0008205637949759792 -0.0008205637949759792 -0.0008205637949759792 -0.0008205637949759792))
    (local.set $k16 (v128.const f32x4 0.005206435031575912 0.005206435031575912 0.005206435031575912 0.005206435031575912))
    (local.set $k17 (v128.const f32x4 -0.026861522359817664 -0.026861522359817664 -0.026861522359817664 -0.026861522359817664))
    (local.set $k18 (v128.const f32x4 0.11283732957113042 0.11283732957113042 0.11283732957113042 0.11283732957113042))
    (local.set $k19 (v128.const f32x4 -0.3761263613006763 -0.3761263613006763 -0.3761263613006763 -0.3761263613006763))
    (local.set $k20 (v128.const f32x4 0.1283791668828856 0.1283791668828856 0.1283791668828856 0.1283791668828856))
    (local.set $k21 (v128.const f32x4 14.5 14.5 14.5 14.5))
    (local.set $k22 (v128.const f32x4 0.3535533905932738 0.3535533905932738 0.3535533905932738 0.3535533905932738))
    (local.set $k23 (v128.const f32x4 0.21273615619117334 0.21273615619117334 0.21273615619117334 0.21273615619117334))
    (local.set $k24 (v128.const f32x4 -1.038629903102553 -1.038629903102553 -1.038629903102553 -1.038629903102553))
    (local.set $k25 (v128.const f32x4 1.946292638264915 1.946292638264915 1.946292638264915 1.946292638264915))
    (local.set $k26 (v128.const f32x4 -1.6596472562432805 -1.6596472562432805 -1.6596472562432805 -1.6596472562432805))
    (local.set $k27 (v128.const f32x4 0.6383543579594304 0.6383543579594304 0.6383543579594304 0.6383543579594304))
    (local.set $k28 (v128.const f32x4 -0.33892047027805844 -0.33892047027805844 -0.33892047027805844 -0.33892047027805844))
    (local.set $k29 (v128.const f32x4 0.13677829934646338 0.13677829934646338 0.13677829934646338 0.13677829934646338))
    (local.set $k30 (v128.const f32x4 0.3678774660897338 0.3678774660897338 0.3678774660897338 0.3678774660897338))
    (local.set $k31 (v128.const f32x4 1.0005432462599755 1.0005432462599755 1.0005432462599755 1.0005432462599755))
    (local.set $k32 (v128.const f32x4 -1.2655301956055822 -1.2655301956055822 -1.2655301956055822 -1.2655301956055822))
    (local.set $k33 (v128.const f32x4 -0.5 -0.5 -0.5 -0.5))
    (local.set $k34 (v128.const f32x4 0 0 0 0))
    (local.set $k35 (v128.const f32x4 1.2374368670764582 1.2374368670764582 1.2374368670764582 1.2374368670764582))
    (local.set $k36 (v128.const f32x4 8388735 8388735 8388735 8388735))
    (if (i32.eqz (local.get $n)) (then (return)))
    (local.set $end (i32.add (local.get $px) (i32.shl (local.get $n) (i32.const 2))))
    (loop $each
      ;; the second vector's offset: the next four values, or 0 (these again) where they are the last
      (local.set $step (select (i32.const 16) (i32.const 0) (i32.lt_u (i32.add (local.get $px) (i32.const 16)) (local.get $end))))
      (local.set $x0 (v128.load (local.get $px)))
      (local.set $x1 (v128.load (i32.add (local.get $px) (local.get $step))))
      (local.set $half# (f32x4.mul (local.get $x#) (local.get $k12)))
      (local.set $z# (f32x4.mul (local.get $x#) (local.get $k13)))
      (local.set $s# (f32x4.mul (local.get $z#) (local.get $z#)))
      (local.set $r# (MADD (local.get $k14) (local.get $s#) (local.get $k15)))
      (local.set $r# (MADD (local.get $r#) (local.get $s#) (local.get $k16)))
      (local.set $r# (MADD (local.get $r#) (local.get $s#) (local.get $k17)))
      (local.set $r# (MADD (local.get $r#) (local.get $s#) (local.get $k18)))
      (local.set $r# (MADD (local.get $r#) (local.get $s#) (local.get $k19)))
      (local.set $r# (MADD (local.get $r#) (local.get $s#) (local.get $k20)))
      (local.set $small# (f32x4.mul (local.get $half#) (f32x4.add (local.get $k11) (f32x4.add (local.get $z#) (f32x4.mul (local.get $z#) (local.get $r#))))))
      (local.set $t# (f32x4.pmin (f32x4.abs (local.get $x#)) (local.get $k21)))
      (local.set $w# (f32x4.div (local.get $k11) (f32x4.add (local.get $k11) (f32x4.mul (local.get $t#) (local.get $k22)))))
      (local.set $q# (MADD (local.get $k23) (local.get $w#) (local.get $k24)))
      (local.set $q# (MADD (local.get $q#) (local.get $w#) (local.get $k25)))
      (local.set $q# (MADD (local.get $q#) (local.get $w#) (local.get $k26)))
      (local.set $q# (MADD (local.get $q#) (local.get $w#) (local.get $k27)))
      (local.set $q# (MADD (local.get $q#) (local.get $w#) (local.get $k28)))
      (local.set $q# (MADD (local.get $q#) (local.get $w#) (local.get $k29)))
      (local.set $q# (MADD (local.get $q#) (local.get $w#) (local.get $k30)))
      (local.set $q# (MADD (local.get $q#) (local.get $w#) (local.get $k31)))
      (local.set $q# (MADD (local.get $q#) (local.get $w#) (local.get $k32)))
      (local.set $ex# (f32x4.add (f32x4.mul (f32x4.mul (local.get $t#) (local.get $t#)) (local.get $k33)) (local.get $q#)))
      (local.set $ex# (f32x4.pmax (f32x4.pmin (local.get $ex#) (local.get $k0)) (local.get $k1)))
      (local.set $ek# (f32x4.nearest (f32x4.mul (local.get $ex#) (local.get $k2))))
      (local.set $er# (f32x4.sub (local.get $ex#) (f32x4.mul (local.get $ek#) (local.get $k3))))
      (local.set $er# (f32x4.sub (local.get $er#) (f32x4.mul (local.get $ek#) (local.get $k4))))
      (local.set $ep# (MADD (local.get $k5) (local.get $er#) (local.get $k6)))
      (local.set $ep# (MADD (local.get $ep#) (local.get $er#) (local.get $k7)))
      (local.set $ep# (MADD (local.get $ep#) (local.get $er#) (local.get $k8)))
      (local.set $ep# (MADD (local.get $ep#) (local.get $er#) (local.get $k9)))
      (local.set $ep# (MADD (local.get $ep#) (local.get $er#) (local.get $k10)))
      (local.set $ep# (f32x4.add (f32x4.add (f32x4.mul (f32x4.mul (local.get $ep#) (local.get $er#)) (local.get $er#)) (local.get $er#)) (local.get $k11)))
      (local.set $erfc# (f32x4.mul (local.get $w#) (f32x4.mul (local.get $ep#) (i32x4.shl (f32x4.add (local.get $ek#) (local.get $k36)) (i32.const 23)))))
      ;; x < 0: 0.5·x·erfc; x > 0: x − 0.5·x·erfc; |x| ≤ 1.2374: the small form
      (local.set $tail# (v128.bitselect (f32x4.mul (local.get $half#) (local.get $erfc#)) (f32x4.sub (local.get $x#) (f32x4.mul (local.get $half#) (local.get $erfc#))) (f32x4.lt (local.get $x#) (local.get $k34))))
      (local.set $x# (v128.bitselect (local.get $small#) (local.get $tail#) (f32x4.le (f32x4.abs (local.get $x#)) (local.get $k35))))
      (v128.store (local.get $py) (local.get $x0))
      (v128.store (i32.add (local.get $py) (local.get $step)) (local.get $x1))
      (local.set $py (i32.add (local.get $py) (i32.const 32)))
      (br_if $each (i32.lt_u (local.tee $px (i32.add (local.get $px) (i32.const 32))) (local.get $end))))
  )

  ;; ---- row reductions: LayerNorm and softmax, in float32 ---------------------------------------

  ;; y = (x − μ)/√(σ² + eps)·w + b over each of $rows rows of $d floats (x and y rows $d apart, y may
  ;; be x; w and b $d floats). Three passes over the row, four lanes at a time, the d mod 4 tail
  ;; in scalars with the same arithmetic:
  ;;   δ  = Σ(x − x₀)/d        (μ = x₀ + δ, kept as the pair: shifted by the row's first value, the
  ;;                            sum's rounding and x − μ = (x − x₀) − δ scale with the row's spread,
  ;;                            not its offset — a rounded μ would cost u·|μ|/σ of relative error)
  ;;   σ² = Σ((x − x₀) − δ)²/d (two passes, not E[x²] − μ²)
  ;;   y  = ((x − x₀) − δ)·inv·w + b, inv = 1/√(σ² + eps)
  ;; Each sum runs in four f32 lanes (⌈d/4⌉ terms each), then (l0 + l1) + (l2 + l3).
  ;; Cost: 10 flops, 12 bytes (x, y, once more x from cache) per element; memory bound.
  (func (export "layer_norm") (param $x i32) (param $y i32) (param $w i32) (param $b i32) (param $rows i32) (param $d i32) (param $eps f32)
    (local $r i32) (local $i i32) (local $d4 i32) (local $px i32) (local $py i32)
    (local $shift f32) (local $delta f32) (local $inv f32) (local $s f32) (local $t f32)
    (local $acc v128) (local $v v128) (local $sv v128) (local $mv v128) (local $iv v128)
    (if (i32.eqz (i32.mul (local.get $rows) (local.get $d))) (then (return)))
    (local.set $d4 (i32.and (local.get $d) (i32.const -4)))
    (loop $rowsl
      (local.set $px (i32.add (local.get $x) (i32.shl (i32.mul (local.get $r) (local.get $d)) (i32.const 2))))
      (local.set $py (i32.add (local.get $y) (i32.shl (i32.mul (local.get $r) (local.get $d)) (i32.const 2))))
      ;; μ
      (local.set $shift (f32.load (local.get $px)))
      (local.set $sv (f32x4.splat (local.get $shift)))
      (local.set $acc (v128.const f32x4 0 0 0 0))
      (local.set $i (i32.const 0))
      (block $done (loop $sum
        (br_if $done (i32.ge_u (local.get $i) (local.get $d4)))
        (local.set $acc (f32x4.add (local.get $acc) (f32x4.sub (v128.load (i32.add (local.get $px) (i32.shl (local.get $i) (i32.const 2)))) (local.get $sv))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $sum)))
      (local.set $s (f32.add (f32.add (f32x4.extract_lane 0 (local.get $acc)) (f32x4.extract_lane 1 (local.get $acc)))
                             (f32.add (f32x4.extract_lane 2 (local.get $acc)) (f32x4.extract_lane 3 (local.get $acc)))))
      (block $done (loop $tail
        (br_if $done (i32.ge_u (local.get $i) (local.get $d)))
        (local.set $s (f32.add (local.get $s) (f32.sub (f32.load (i32.add (local.get $px) (i32.shl (local.get $i) (i32.const 2)))) (local.get $shift))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $tail)))
      (local.set $delta (f32.div (local.get $s) (f32.convert_i32_u (local.get $d))))   ;; δ
      (local.set $mv (f32x4.splat (local.get $delta)))
      ;; σ²
      (local.set $acc (v128.const f32x4 0 0 0 0))
      (local.set $i (i32.const 0))
      (block $done (loop $sum
        (br_if $done (i32.ge_u (local.get $i) (local.get $d4)))
        (local.set $v (f32x4.sub (f32x4.sub (v128.load (i32.add (local.get $px) (i32.shl (local.get $i) (i32.const 2)))) (local.get $sv)) (local.get $mv)))
        (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (local.get $v) (local.get $v))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $sum)))
      (local.set $s (f32.add (f32.add (f32x4.extract_lane 0 (local.get $acc)) (f32x4.extract_lane 1 (local.get $acc)))
                             (f32.add (f32x4.extract_lane 2 (local.get $acc)) (f32x4.extract_lane 3 (local.get $acc)))))
      (block $done (loop $tail
        (br_if $done (i32.ge_u (local.get $i) (local.get $d)))
        (local.set $t (f32.sub (f32.sub (f32.load (i32.add (local.get $px) (i32.shl (local.get $i) (i32.const 2)))) (local.get $shift)) (local.get $delta)))
        (local.set $s (f32.add (local.get $s) (f32.mul (local.get $t) (local.get $t))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $tail)))
      (local.set $inv (f32.div (f32.const 1) (f32.sqrt (f32.add (f32.div (local.get $s) (f32.convert_i32_u (local.get $d))) (local.get $eps)))))
      (local.set $iv (f32x4.splat (local.get $inv)))
      ;; y
      (local.set $i (i32.const 0))
      (block $done (loop $each
        (br_if $done (i32.ge_u (local.get $i) (local.get $d4)))
        (v128.store (i32.add (local.get $py) (i32.shl (local.get $i) (i32.const 2)))
          (f32x4.add
            (f32x4.mul (f32x4.mul (f32x4.sub (f32x4.sub (v128.load (i32.add (local.get $px) (i32.shl (local.get $i) (i32.const 2)))) (local.get $sv)) (local.get $mv)) (local.get $iv))
                       (v128.load (i32.add (local.get $w) (i32.shl (local.get $i) (i32.const 2)))))
            (v128.load (i32.add (local.get $b) (i32.shl (local.get $i) (i32.const 2))))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $each)))
      (block $done (loop $tail
        (br_if $done (i32.ge_u (local.get $i) (local.get $d)))
        (f32.store (i32.add (local.get $py) (i32.shl (local.get $i) (i32.const 2)))
          (f32.add
            (f32.mul (f32.mul (f32.sub (f32.sub (f32.load (i32.add (local.get $px) (i32.shl (local.get $i) (i32.const 2)))) (local.get $shift)) (local.get $delta)) (local.get $inv))
                     (f32.load (i32.add (local.get $w) (i32.shl (local.get $i) (i32.const 2)))))
            (f32.load (i32.add (local.get $b) (i32.shl (local.get $i) (i32.const 2))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $tail)))
      (br_if $rowsl (i32.lt_u (local.tee $r (i32.add (local.get $r) (i32.const 1))) (local.get $rows))))
  )

  ;; Softmax over each of $rows rows of $d floats, rows $stride floats apart (x and y alike; y may
  ;; be x), shifted by the row maximum: y = exp(x − m)/Σ exp(x − m). Causal ($causal ≠ 0): row
  ;; $row0 + r keeps columns ≤ (row0 + r) mod d, the rest are 0 (attention's mask on [n, n] blocks).
  ;; Three passes: the maximum; exp (the module's $exp) stored into y and summed in four f32 lanes;
  ;; y / Σ. The d mod 4 tail in scalars ($exp on a splat, lane 0).
  ;; Cost: ~30 vector operations per four elements (most in the exp), 8 bytes per element; bound by
  ;; the exp (measured: [8, 77, 77] in 0.28–0.39 ms on one thread, ~7 ns per element).
  (func (export "softmax") (param $x i32) (param $y i32) (param $rows i32) (param $d i32) (param $stride i32) (param $row0 i32) (param $causal i32)
    (local $r i32) (local $i i32) (local $end i32) (local $e4 i32) (local $px i32) (local $py i32)
    (local $m f32) (local $s f32) (local $e f32)
    (local $acc v128) (local $v v128) (local $mv v128) (local $sv v128)
    (if (i32.eqz (i32.mul (local.get $rows) (local.get $d))) (then (return)))
    (loop $rowsl
      (local.set $px (i32.add (local.get $x) (i32.shl (i32.mul (local.get $r) (local.get $stride)) (i32.const 2))))
      (local.set $py (i32.add (local.get $y) (i32.shl (i32.mul (local.get $r) (local.get $stride)) (i32.const 2))))
      (local.set $end (if (result i32) (local.get $causal)
        (then (i32.add (i32.rem_u (i32.add (local.get $row0) (local.get $r)) (local.get $d)) (i32.const 1)))
        (else (local.get $d))))
      (local.set $e4 (i32.and (local.get $end) (i32.const -4)))
      ;; m
      (local.set $mv (v128.const f32x4 -inf -inf -inf -inf))
      (local.set $i (i32.const 0))
      (block $done (loop $max
        (br_if $done (i32.ge_u (local.get $i) (local.get $e4)))
        (local.set $mv (f32x4.pmax (local.get $mv) (v128.load (i32.add (local.get $px) (i32.shl (local.get $i) (i32.const 2))))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $max)))
      (local.set $m (f32.max (f32.max (f32x4.extract_lane 0 (local.get $mv)) (f32x4.extract_lane 1 (local.get $mv)))
                             (f32.max (f32x4.extract_lane 2 (local.get $mv)) (f32x4.extract_lane 3 (local.get $mv)))))
      (block $done (loop $tail
        (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
        (local.set $m (f32.max (local.get $m) (f32.load (i32.add (local.get $px) (i32.shl (local.get $i) (i32.const 2))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $tail)))
      (local.set $mv (f32x4.splat (local.get $m)))
      ;; exp(x − m) into y, and its sum
      (local.set $acc (v128.const f32x4 0 0 0 0))
      (local.set $i (i32.const 0))
      (block $done (loop $each
        (br_if $done (i32.ge_u (local.get $i) (local.get $e4)))
        (local.set $v (call $exp (f32x4.sub (v128.load (i32.add (local.get $px) (i32.shl (local.get $i) (i32.const 2)))) (local.get $mv))))
        (v128.store (i32.add (local.get $py) (i32.shl (local.get $i) (i32.const 2))) (local.get $v))
        (local.set $acc (f32x4.add (local.get $acc) (local.get $v)))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $each)))
      (local.set $s (f32.add (f32.add (f32x4.extract_lane 0 (local.get $acc)) (f32x4.extract_lane 1 (local.get $acc)))
                             (f32.add (f32x4.extract_lane 2 (local.get $acc)) (f32x4.extract_lane 3 (local.get $acc)))))
      (block $done (loop $tail
        (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
        (local.set $e (f32x4.extract_lane 0 (call $exp (f32x4.splat (f32.sub (f32.load (i32.add (local.get $px) (i32.shl (local.get $i) (i32.const 2)))) (local.get $m))))))
        (f32.store (i32.add (local.get $py) (i32.shl (local.get $i) (i32.const 2))) (local.get $e))
        (local.set $s (f32.add (local.get $s) (local.get $e)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $tail)))
      ;; y / Σ; the masked columns 0
      (local.set $sv (f32x4.splat (local.get $s)))
      (local.set $i (i32.const 0))
      (block $done (loop $each
        (br_if $done (i32.ge_u (local.get $i) (local.get $e4)))
        (v128.store (i32.add (local.get $py) (i32.shl (local.get $i) (i32.const 2)))
          (f32x4.div (v128.load (i32.add (local.get $py) (i32.shl (local.get $i) (i32.const 2)))) (local.get $sv)))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $each)))
      (block $done (loop $tail
        (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
        (f32.store (i32.add (local.get $py) (i32.shl (local.get $i) (i32.const 2)))
          (f32.div (f32.load (i32.add (local.get $py) (i32.shl (local.get $i) (i32.const 2)))) (local.get $s)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $tail)))
      (block $done (loop $zeros
        (br_if $done (i32.ge_u (local.get $i) (local.get $d)))
        (f32.store (i32.add (local.get $py) (i32.shl (local.get $i) (i32.const 2))) (f32.const 0))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $zeros)))
      (br_if $rowsl (i32.lt_u (local.tee $r (i32.add (local.get $r) (i32.const 1))) (local.get $rows))))
  )

  ;; The GEMM epilogue on C [rows, np4] in place, in the order of the GPU's:
  ;;   c = act(c + bias) · scale + residual
  ;; bias and scale along N (a vector of np4) or along M (one value per row); a pointer of -1 for
  ;; an absent operand; the residual laid out like C. Three passes over C (it stays in cache): the
  ;; bias, the activation ($gelu_n for GELU), then scale and residual. Cost: memory bound.
  (func (export "epilogue") (param $c i32) (param $rows i32) (param $np4 i32) (param $bias i32) (param $biasN i32) (param $act i32) (param $scale i32) (param $scaleN i32) (param $res i32)
    (local $m i32) (local $n i32) (local $v v128) (local $p i32)
    (if (i32.eqz (i32.mul (local.get $rows) (local.get $np4))) (then (return)))
    (if (i32.ge_s (local.get $bias) (i32.const 0))
      (then
        (local.set $p (local.get $c))
        (loop $rowsb
          (local.set $n (i32.const 0))
          (loop $colsb
            (v128.store (local.get $p) (f32x4.add (v128.load (local.get $p))
              (if (result v128) (local.get $biasN)
                (then (v128.load (i32.add (local.get $bias) (i32.shl (local.get $n) (i32.const 2)))))
                (else (v128.load32_splat (i32.add (local.get $bias) (i32.shl (local.get $m) (i32.const 2))))))))
            (local.set $p (i32.add (local.get $p) (i32.const 16)))
            (br_if $colsb (i32.lt_u (local.tee $n (i32.add (local.get $n) (i32.const 4))) (local.get $np4))))
          (br_if $rowsb (i32.lt_u (local.tee $m (i32.add (local.get $m) (i32.const 1))) (local.get $rows))))))
    (if (local.get $act)
      (then (call $activate_n (local.get $c) (i32.mul (local.get $rows) (local.get $np4)) (local.get $act))))
    (if (i32.and (i32.lt_s (local.get $scale) (i32.const 0)) (i32.lt_s (local.get $res) (i32.const 0))) (then (return)))
    (local.set $p (local.get $c))
    (local.set $m (i32.const 0))
    (loop $rowsl
      (local.set $n (i32.const 0))
      (loop $cols
        (local.set $v (v128.load (local.get $p)))
        (if (i32.ge_s (local.get $scale) (i32.const 0))
          (then (local.set $v (f32x4.mul (local.get $v)
            (if (result v128) (local.get $scaleN)
              (then (v128.load (i32.add (local.get $scale) (i32.shl (local.get $n) (i32.const 2)))))
              (else (v128.load32_splat (i32.add (local.get $scale) (i32.shl (local.get $m) (i32.const 2))))))))))
        (if (i32.ge_s (local.get $res) (i32.const 0))
          (then (local.set $v (f32x4.add (local.get $v) (v128.load (i32.add (local.get $res) (i32.sub (local.get $p) (local.get $c))))))))
        (v128.store (local.get $p) (local.get $v))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br_if $cols (i32.lt_u (local.tee $n (i32.add (local.get $n) (i32.const 4))) (local.get $np4))))
      (br_if $rowsl (i32.lt_u (local.tee $m (i32.add (local.get $m) (i32.const 1))) (local.get $rows))))
  )


  ;; ---- packing, in the kernels' memory -------------------------------------------------------

  ;; B [k, n] (row-major, at $src) as 8-column panels [np/8][k][8] at $dst, columns past n zero
  ;; (the caller zeroes $dst). Whole panels move as two vector loads and stores per row.
  ;; Cost: memory bound, 8 bytes per element.
  (func (export "pack_b_kn") (param $src i32) (param $dst i32) (param $k i32) (param $n i32)
    (local $j i32) (local $kk i32) (local $s i32) (local $d i32) (local $c i32) (local $cols i32) (local $full i32)
    (local.set $full (i32.shr_u (local.get $n) (i32.const 3)))   ;; whole panels
    (local.set $j (i32.const 0))
    (block $done
      (loop $panels
        (br_if $done (i32.ge_u (i32.shl (local.get $j) (i32.const 3)) (local.get $n)))
        (local.set $s (i32.add (local.get $src) (i32.shl (local.get $j) (i32.const 5))))   ;; &B[0, 8j]
        (local.set $d (i32.add (local.get $dst) (i32.mul (local.get $j) (i32.shl (local.get $k) (i32.const 5)))))
        (local.set $kk (local.get $k))
        (if (i32.lt_u (local.get $j) (local.get $full))
          (then
            (loop $rows
              (v128.store offset=0 (local.get $d) (v128.load offset=0 (local.get $s)))
              (v128.store offset=16 (local.get $d) (v128.load offset=16 (local.get $s)))
              (local.set $s (i32.add (local.get $s) (i32.shl (local.get $n) (i32.const 2))))
              (local.set $d (i32.add (local.get $d) (i32.const 32)))
              (br_if $rows (local.tee $kk (i32.sub (local.get $kk) (i32.const 1))))))
          (else
            (local.set $cols (i32.sub (local.get $n) (i32.shl (local.get $j) (i32.const 3))))
            (loop $rows
              (local.set $c (i32.const 0))
              (loop $each
                (f32.store (i32.add (local.get $d) (i32.shl (local.get $c) (i32.const 2))) (f32.load (i32.add (local.get $s) (i32.shl (local.get $c) (i32.const 2)))))
                (br_if $each (i32.lt_u (local.tee $c (i32.add (local.get $c) (i32.const 1))) (local.get $cols))))
              (local.set $s (i32.add (local.get $s) (i32.shl (local.get $n) (i32.const 2))))
              (local.set $d (i32.add (local.get $d) (i32.const 32)))
              (br_if $rows (local.tee $kk (i32.sub (local.get $kk) (i32.const 1)))))))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $panels)))
  )

  ;; $h rows of $w values of a plane (rows $sw apart, at $src) into the zero-padded plane of row
  ;; stride $iw at $dst, $ph rows and $pw columns in (the caller zeroes $dst and keeps the rows and
  ;; columns copied inside it). Cost: memory bound.
  (func $pad_plane (export "pad_plane") (param $src i32) (param $dst i32) (param $h i32) (param $w i32) (param $sw i32) (param $iw i32) (param $ph i32) (param $pw i32)
    (local $y i32)
    (if (i32.eqz (i32.mul (local.get $h) (local.get $w))) (then (return)))
    (local.set $dst (i32.add (local.get $dst) (i32.shl (i32.add (i32.mul (local.get $ph) (local.get $iw)) (local.get $pw)) (i32.const 2))))
    (loop $rows
      (memory.copy (local.get $dst) (local.get $src) (i32.shl (local.get $w) (i32.const 2)))
      (local.set $src (i32.add (local.get $src) (i32.shl (local.get $sw) (i32.const 2))))
      (local.set $dst (i32.add (local.get $dst) (i32.shl (local.get $iw) (i32.const 2))))
      (br_if $rows (i32.lt_u (local.tee $y (i32.add (local.get $y) (i32.const 1))) (local.get $h))))
  )

  ;; ---- int8 rows for similarity search (a prefilter with error bounds; the caller rescores) ----

  ;; Each of $n rows of $dim f32 (at $src; $dim a multiple of 16) as int8 (at $dst, $dim bytes a
  ;; row): ê = round(e · 127 / max|e|), the scale s = max|e| / 127 at $scale[r], and the two norms
  ;; the error bound needs, ‖e − s·ê‖ at $err[r] and ‖s·ê‖ at $norm[r]. Two passes over each row
  ;; (the maximum, then the rounding). Cost: ~6 vector ops per 4 values, memory bound.
  (func (export "quantize_i8") (param $src i32) (param $dst i32) (param $n i32) (param $dim i32) (param $scale i32) (param $err i32) (param $norm i32)
    (local $r i32) (local $d i32) (local $p i32) (local $m v128) (local $x v128) (local $q v128) (local $e2 v128) (local $n2 v128)
    (local $max f32) (local $s f32) (local $inv f32) (local $a v128) (local $b v128) (local $c v128) (local $dd v128)
    (if (i32.eqz (local.get $n)) (then (return)))
    (loop $rows
      (local.set $p (i32.add (local.get $src) (i32.shl (i32.mul (local.get $r) (local.get $dim)) (i32.const 2))))
      (local.set $m (v128.const f32x4 0 0 0 0))
      (local.set $d (i32.const 0))
      (loop $max
        (local.set $m (f32x4.max (local.get $m) (f32x4.abs (v128.load (i32.add (local.get $p) (i32.shl (local.get $d) (i32.const 2)))))))
        (br_if $max (i32.lt_u (local.tee $d (i32.add (local.get $d) (i32.const 4))) (local.get $dim))))
      (local.set $max (f32.max (f32.max (f32x4.extract_lane 0 (local.get $m)) (f32x4.extract_lane 1 (local.get $m)))
                              (f32.max (f32x4.extract_lane 2 (local.get $m)) (f32x4.extract_lane 3 (local.get $m)))))
      (local.set $s (f32.div (local.get $max) (f32.const 127)))
      (local.set $inv (select (f32.div (f32.const 127) (local.get $max)) (f32.const 0) (f32.gt (local.get $max) (f32.const 0))))
      (local.set $e2 (v128.const f32x4 0 0 0 0))
      (local.set $n2 (v128.const f32x4 0 0 0 0))
      (local.set $d (i32.const 0))
      (loop $round
        ;; 16 values: four f32x4 rounded to i32, narrowed to 16 int8.
        (local.set $a (f32x4.nearest (f32x4.mul (v128.load offset=0 (i32.add (local.get $p) (i32.shl (local.get $d) (i32.const 2)))) (f32x4.splat (local.get $inv)))))
        (local.set $b (f32x4.nearest (f32x4.mul (v128.load offset=16 (i32.add (local.get $p) (i32.shl (local.get $d) (i32.const 2)))) (f32x4.splat (local.get $inv)))))
        (local.set $c (f32x4.nearest (f32x4.mul (v128.load offset=32 (i32.add (local.get $p) (i32.shl (local.get $d) (i32.const 2)))) (f32x4.splat (local.get $inv)))))
        (local.set $dd (f32x4.nearest (f32x4.mul (v128.load offset=48 (i32.add (local.get $p) (i32.shl (local.get $d) (i32.const 2)))) (f32x4.splat (local.get $inv)))))
        (v128.store (i32.add (local.get $dst) (i32.add (i32.mul (local.get $r) (local.get $dim)) (local.get $d)))
          (i8x16.narrow_i16x8_s
            (i16x8.narrow_i32x4_s (i32x4.trunc_sat_f32x4_s (local.get $a)) (i32x4.trunc_sat_f32x4_s (local.get $b)))
            (i16x8.narrow_i32x4_s (i32x4.trunc_sat_f32x4_s (local.get $c)) (i32x4.trunc_sat_f32x4_s (local.get $dd)))))
        ;; The error and the norm of s·ê, in f32 (the bound adds their rounding).
        (local.set $x (v128.load offset=0 (i32.add (local.get $p) (i32.shl (local.get $d) (i32.const 2)))))
        (local.set $q (f32x4.mul (local.get $a) (f32x4.splat (local.get $s))))
        (local.set $e2 (f32x4.add (local.get $e2) (f32x4.mul (f32x4.sub (local.get $x) (local.get $q)) (f32x4.sub (local.get $x) (local.get $q)))))
        (local.set $n2 (f32x4.add (local.get $n2) (f32x4.mul (local.get $q) (local.get $q))))
        (local.set $x (v128.load offset=16 (i32.add (local.get $p) (i32.shl (local.get $d) (i32.const 2)))))
        (local.set $q (f32x4.mul (local.get $b) (f32x4.splat (local.get $s))))
        (local.set $e2 (f32x4.add (local.get $e2) (f32x4.mul (f32x4.sub (local.get $x) (local.get $q)) (f32x4.sub (local.get $x) (local.get $q)))))
        (local.set $n2 (f32x4.add (local.get $n2) (f32x4.mul (local.get $q) (local.get $q))))
        (local.set $x (v128.load offset=32 (i32.add (local.get $p) (i32.shl (local.get $d) (i32.const 2)))))
        (local.set $q (f32x4.mul (local.get $c) (f32x4.splat (local.get $s))))
        (local.set $e2 (f32x4.add (local.get $e2) (f32x4.mul (f32x4.sub (local.get $x) (local.get $q)) (f32x4.sub (local.get $x) (local.get $q)))))
        (local.set $n2 (f32x4.add (local.get $n2) (f32x4.mul (local.get $q) (local.get $q))))
        (local.set $x (v128.load offset=48 (i32.add (local.get $p) (i32.shl (local.get $d) (i32.const 2)))))
        (local.set $q (f32x4.mul (local.get $dd) (f32x4.splat (local.get $s))))
        (local.set $e2 (f32x4.add (local.get $e2) (f32x4.mul (f32x4.sub (local.get $x) (local.get $q)) (f32x4.sub (local.get $x) (local.get $q)))))
        (local.set $n2 (f32x4.add (local.get $n2) (f32x4.mul (local.get $q) (local.get $q))))
        (br_if $round (i32.lt_u (local.tee $d (i32.add (local.get $d) (i32.const 16))) (local.get $dim))))
      (f32.store (i32.add (local.get $scale) (i32.shl (local.get $r) (i32.const 2))) (local.get $s))
      (f32.store (i32.add (local.get $err) (i32.shl (local.get $r) (i32.const 2)))
        (f32.sqrt (f32.add (f32.add (f32x4.extract_lane 0 (local.get $e2)) (f32x4.extract_lane 1 (local.get $e2))) (f32.add (f32x4.extract_lane 2 (local.get $e2)) (f32x4.extract_lane 3 (local.get $e2))))))
      (f32.store (i32.add (local.get $norm) (i32.shl (local.get $r) (i32.const 2)))
        (f32.sqrt (f32.add (f32.add (f32x4.extract_lane 0 (local.get $n2)) (f32x4.extract_lane 1 (local.get $n2))) (f32.add (f32x4.extract_lane 2 (local.get $n2)) (f32x4.extract_lane 3 (local.get $n2))))))
      (br_if $rows (i32.lt_u (local.tee $r (i32.add (local.get $r) (i32.const 1))) (local.get $n))))
  )

  ;; out[r] = Σ_d rows[r, d] · q[d] for $n int8 rows of $dim values (a multiple of 16) and an int16
  ;; query: exact in int32 while dim · 127 · max|q| < 2^31 (the caller scales q so). 16 values per
  ;; step: two widenings and two i32x4.dot_i16x8_s. Cost: memory bound, one byte per value.
  (func (export "dot_i8") (param $rows i32) (param $q i32) (param $n i32) (param $dim i32) (param $out i32)
    (local $r i32) (local $d i32) (local $p i32) (local $acc v128) (local $v v128)
    (if (i32.eqz (local.get $n)) (then (return)))
    (local.set $p (local.get $rows))
    (loop $rows
      (local.set $acc (v128.const i32x4 0 0 0 0))
      (local.set $d (i32.const 0))
      (loop $step
        (local.set $v (v128.load (i32.add (local.get $p) (local.get $d))))
        (local.set $acc (i32x4.add (local.get $acc) (i32x4.dot_i16x8_s (i16x8.extend_low_i8x16_s (local.get $v)) (v128.load offset=0 (i32.add (local.get $q) (i32.shl (local.get $d) (i32.const 1)))))))
        (local.set $acc (i32x4.add (local.get $acc) (i32x4.dot_i16x8_s (i16x8.extend_high_i8x16_s (local.get $v)) (v128.load offset=16 (i32.add (local.get $q) (i32.shl (local.get $d) (i32.const 1)))))))
        (br_if $step (i32.lt_u (local.tee $d (i32.add (local.get $d) (i32.const 16))) (local.get $dim))))
      (i32.store (i32.add (local.get $out) (i32.shl (local.get $r) (i32.const 2)))
        (i32.add (i32.add (i32x4.extract_lane 0 (local.get $acc)) (i32x4.extract_lane 1 (local.get $acc))) (i32.add (i32x4.extract_lane 2 (local.get $acc)) (i32x4.extract_lane 3 (local.get $acc)))))
      (local.set $p (i32.add (local.get $p) (local.get $dim)))
      (br_if $rows (i32.lt_u (local.tee $r (i32.add (local.get $r) (i32.const 1))) (local.get $n))))
  )
)
