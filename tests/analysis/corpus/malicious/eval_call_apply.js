// Technique: call eval or Function through call/apply/bind/Reflect.
eval.call(null, payload); // expect: SA101
eval.apply(null, [payload]); // expect: SA101
eval.bind(null)(payload); // expect: SA102
Reflect.apply(eval, null, [payload]); // expect: SA102
Reflect.construct(Function, [payload]); // expect: SA102
Function.call(null, payload); // expect: SA103
