// Technique: Dean Edwards' packer.
eval(function(p,a,c,k,e,d){e=function(c){return c};if(!''.replace(/^/,String)){while(c--){d[c]=k[c]||c}k=[function(e){return d[e]}];e=function(){return'\\w+'};c=1};while(c--){if(k[c]){p=p.replace(new RegExp('\\b'+e(c)+'\\b','g'),k[c])}}return p}('0(1)',2,2,'alert|1'.split('|'),0,{})) // expect: SA301, SA101
var unpack = function(p,a,c,k,e,r){return p}; // expect: SA301
