;; Call-heavy kernels (Baton's own, no multi-value so that every engine runs them):
;; `direct` calls a two-argument function n times, `indirect` does the same
;; through `call_indirect`, alternating between two table entries.
(module
    (type $bin (func (param i64 i64) (result i64)))
    (table 2 2 funcref)
    (elem (i32.const 0) $add $xor_mul)
    (func $add (type $bin) (i64.add (local.get 0) (local.get 1)))
    (func $xor_mul (type $bin) (i64.mul (i64.xor (local.get 0) (local.get 1)) (i64.const 3)))
    (func (export "direct") (param $n i64) (result i64)
        (local $acc i64)
        (block $done
            (loop $next
                (br_if $done (i64.eqz (local.get $n)))
                (local.set $acc (call $add (local.get $acc) (local.get $n)))
                (local.set $n (i64.sub (local.get $n) (i64.const 1)))
                (br $next)))
        (local.get $acc))
    (func (export "indirect") (param $n i64) (result i64)
        (local $acc i64)
        (block $done
            (loop $next
                (br_if $done (i64.eqz (local.get $n)))
                (local.set $acc
                    (call_indirect (type $bin)
                        (local.get $acc) (local.get $n)
                        (i32.wrap_i64 (i64.and (local.get $n) (i64.const 1)))))
                (local.set $n (i64.sub (local.get $n) (i64.const 1)))
                (br $next)))
        (local.get $acc))
)
