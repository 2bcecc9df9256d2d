// Technique: indirect eval through comma, logical and conditional expressions.
(0, eval)(payload); // expect: SA102
(1, window.eval)(payload); // expect: SA102
(false || eval)(payload); // expect: SA102
(ready ? eval : console.log)(payload); // expect: SA102
(null ?? eval)(payload); // expect: SA102
const alias = (0, eval); // expect: SA102
