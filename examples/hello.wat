;; A WASI command in WebAssembly text: prints a greeting and its arguments,
;; then computes fib(27) recursively to give the interpreter some work.
;; Run it with: cargo run --release -- examples/hello.wat [ARGS...]
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_sizes_get"
    (func $args_sizes_get (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 64) "Hello from Baton! fib(27) = ")
  (data (i32.const 100) " arguments\n")
  (data (i32.const 111) ", ")

  ;; Writes memory[ptr..ptr+len) to stdout.
  (func $print (param $ptr i32) (param $len i32)
    (i32.store (i32.const 0) (local.get $ptr))
    (i32.store (i32.const 4) (local.get $len))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))

  ;; Prints an unsigned number in decimal.
  (func $print_u32 (param $n i32) (local $p i32)
    (local.set $p (i32.const 48))
    (loop $digits
      (local.set $p (i32.sub (local.get $p) (i32.const 1)))
      (i32.store8 (local.get $p)
        (i32.add (i32.const 48) (i32.rem_u (local.get $n) (i32.const 10))))
      (local.set $n (i32.div_u (local.get $n) (i32.const 10)))
      (br_if $digits (local.get $n)))
    (call $print (local.get $p) (i32.sub (i32.const 48) (local.get $p))))

  (func $fib (param $n i32) (result i32)
    (if (result i32) (i32.lt_u (local.get $n) (i32.const 2))
      (then (local.get $n))
      (else (i32.add (call $fib (i32.sub (local.get $n) (i32.const 1)))
                     (call $fib (i32.sub (local.get $n) (i32.const 2)))))))

  (func (export "_start")
    (call $print (i32.const 64) (i32.const 28))
    (call $print_u32 (call $fib (i32.const 27)))
    (call $print (i32.const 111) (i32.const 2))
    (drop (call $args_sizes_get (i32.const 200) (i32.const 204)))
    ;; argv[0] is the program name.
    (call $print_u32 (i32.sub (i32.load (i32.const 200)) (i32.const 1)))
    (call $print (i32.const 100) (i32.const 11))))
