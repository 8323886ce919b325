/* prepaid_power frontend sources sha256:9734117316ca0126e0780bc64153dcbef6dbd6432eebd58765323e9e95c7a6a2 */
var M=globalThis,H=M.ShadowRoot&&(M.ShadyCSS===void 0||M.ShadyCSS.nativeShadow)&&"adoptedStyleSheets"in Document.prototype&&"replace"in CSSStyleSheet.prototype,B=Symbol(),ie=new WeakMap,S=class{constructor(e,t,s){if(this._$cssResult$=!0,s!==B)throw Error("CSSResult is not constructable. Use `unsafeCSS` or `css` instead.");this.cssText=e,this.t=t}get styleSheet(){let e=this.o,t=this.t;if(H&&e===void 0){let s=t!==void 0&&t.length===1;s&&(e=ie.get(t)),e===void 0&&((this.o=e=new CSSStyleSheet).replaceSync(this.cssText),s&&ie.set(t,e))}return e}toString(){return this.cssText}},re=i=>new S(typeof i=="string"?i:i+"",void 0,B),E=(i,...e)=>{let t=i.length===1?i[0]:e.reduce((s,n,r)=>s+(o=>{if(o._$cssResult$===!0)return o.cssText;if(typeof o=="number")return o;throw Error("Value passed to 'css' function must be a 'css' function result: "+o+". Use 'unsafeCSS' to pass non-literal values, but take care to ensure page security.")})(n)+i[r+1],i[0]);return new S(t,i,B)},oe=(i,e)=>{if(H)i.adoptedStyleSheets=e.map(t=>t instanceof CSSStyleSheet?t:t.styleSheet);else for(let t of e){let s=document.createElement("style"),n=M.litNonce;n!==void 0&&s.setAttribute("nonce",n),s.textContent=t.cssText,i.appendChild(s)}},j=H?i=>i:i=>i instanceof CSSStyleSheet?(e=>{let t="";for(let s of e.cssRules)t+=s.cssText;return re(t)})(i):i;var{is:Ue,defineProperty:Ne,getOwnPropertyDescriptor:Pe,getOwnPropertyNames:Oe,getOwnPropertySymbols:Le,getPrototypeOf:Me}=Object,D=globalThis,ae=D.trustedTypes,He=ae?ae.emptyScript:"",De=D.reactiveElementPolyfillSupport,T=(i,e)=>i,q={toAttribute(i,e){switch(e){case Boolean:i=i?He:null;break;case Object:case Array:i=i==null?i:JSON.stringify(i)}return i},fromAttribute(i,e){let t=i;switch(e){case Boolean:t=i!==null;break;case Number:t=i===null?null:Number(i);break;case Object:case Array:try{t=JSON.parse(i)}catch{t=null}}return t}},ce=(i,e)=>!Ue(i,e),le={attribute:!0,type:String,converter:q,reflect:!1,useDefault:!1,hasChanged:ce};Symbol.metadata??=Symbol("metadata"),D.litPropertyMetadata??=new WeakMap;var f=class extends HTMLElement{static addInitializer(e){this._$Ei(),(this.l??=[]).push(e)}static get observedAttributes(){return this.finalize(),this._$Eh&&[...this._$Eh.keys()]}static createProperty(e,t=le){if(t.state&&(t.attribute=!1),this._$Ei(),this.prototype.hasOwnProperty(e)&&((t=Object.create(t)).wrapped=!0),this.elementProperties.set(e,t),!t.noAccessor){let s=Symbol(),n=this.getPropertyDescriptor(e,s,t);n!==void 0&&Ne(this.prototype,e,n)}}static getPropertyDescriptor(e,t,s){let{get:n,set:r}=Pe(this.prototype,e)??{get(){return this[t]},set(o){this[t]=o}};return{get:n,set(o){let a=n?.call(this);r?.call(this,o),this.requestUpdate(e,a,s)},configurable:!0,enumerable:!0}}static getPropertyOptions(e){return this.elementProperties.get(e)??le}static _$Ei(){if(this.hasOwnProperty(T("elementProperties")))return;let e=Me(this);e.finalize(),e.l!==void 0&&(this.l=[...e.l]),this.elementProperties=new Map(e.elementProperties)}static finalize(){if(this.hasOwnProperty(T("finalized")))return;if(this.finalized=!0,this._$Ei(),this.hasOwnProperty(T("properties"))){let t=this.properties,s=[...Oe(t),...Le(t)];for(let n of s)this.createProperty(n,t[n])}let e=this[Symbol.metadata];if(e!==null){let t=litPropertyMetadata.get(e);if(t!==void 0)for(let[s,n]of t)this.elementProperties.set(s,n)}this._$Eh=new Map;for(let[t,s]of this.elementProperties){let n=this._$Eu(t,s);n!==void 0&&this._$Eh.set(n,t)}this.elementStyles=this.finalizeStyles(this.styles)}static finalizeStyles(e){let t=[];if(Array.isArray(e)){let s=new Set(e.flat(1/0).reverse());for(let n of s)t.unshift(j(n))}else e!==void 0&&t.push(j(e));return t}static _$Eu(e,t){let s=t.attribute;return s===!1?void 0:typeof s=="string"?s:typeof e=="string"?e.toLowerCase():void 0}constructor(){super(),this._$Ep=void 0,this.isUpdatePending=!1,this.hasUpdated=!1,this._$Em=null,this._$Ev()}_$Ev(){this._$ES=new Promise(e=>this.enableUpdating=e),this._$AL=new Map,this._$E_(),this.requestUpdate(),this.constructor.l?.forEach(e=>e(this))}addController(e){(this._$EO??=new Set).add(e),this.renderRoot!==void 0&&this.isConnected&&e.hostConnected?.()}removeController(e){this._$EO?.delete(e)}_$E_(){let e=new Map,t=this.constructor.elementProperties;for(let s of t.keys())this.hasOwnProperty(s)&&(e.set(s,this[s]),delete this[s]);e.size>0&&(this._$Ep=e)}createRenderRoot(){let e=this.shadowRoot??this.attachShadow(this.constructor.shadowRootOptions);return oe(e,this.constructor.elementStyles),e}connectedCallback(){this.renderRoot??=this.createRenderRoot(),this.enableUpdating(!0),this._$EO?.forEach(e=>e.hostConnected?.())}enableUpdating(e){}disconnectedCallback(){this._$EO?.forEach(e=>e.hostDisconnected?.())}attributeChangedCallback(e,t,s){this._$AK(e,s)}_$ET(e,t){let s=this.constructor.elementProperties.get(e),n=this.constructor._$Eu(e,s);if(n!==void 0&&s.reflect===!0){let r=(s.converter?.toAttribute!==void 0?s.converter:q).toAttribute(t,s.type);this._$Em=e,r==null?this.removeAttribute(n):this.setAttribute(n,r),this._$Em=null}}_$AK(e,t){let s=this.constructor,n=s._$Eh.get(e);if(n!==void 0&&this._$Em!==n){let r=s.getPropertyOptions(n),o=typeof r.converter=="function"?{fromAttribute:r.converter}:r.converter?.fromAttribute!==void 0?r.converter:q;this._$Em=n;let a=o.fromAttribute(t,r.type);this[n]=a??this._$Ej?.get(n)??a,this._$Em=null}}requestUpdate(e,t,s,n=!1,r){if(e!==void 0){let o=this.constructor;if(n===!1&&(r=this[e]),s??=o.getPropertyOptions(e),!((s.hasChanged??ce)(r,t)||s.useDefault&&s.reflect&&r===this._$Ej?.get(e)&&!this.hasAttribute(o._$Eu(e,s))))return;this.C(e,t,s)}this.isUpdatePending===!1&&(this._$ES=this._$EP())}C(e,t,{useDefault:s,reflect:n,wrapped:r},o){s&&!(this._$Ej??=new Map).has(e)&&(this._$Ej.set(e,o??t??this[e]),r!==!0||o!==void 0)||(this._$AL.has(e)||(this.hasUpdated||s||(t=void 0),this._$AL.set(e,t)),n===!0&&this._$Em!==e&&(this._$Eq??=new Set).add(e))}async _$EP(){this.isUpdatePending=!0;try{await this._$ES}catch(t){Promise.reject(t)}let e=this.scheduleUpdate();return e!=null&&await e,!this.isUpdatePending}scheduleUpdate(){return this.performUpdate()}performUpdate(){if(!this.isUpdatePending)return;if(!this.hasUpdated){if(this.renderRoot??=this.createRenderRoot(),this._$Ep){for(let[n,r]of this._$Ep)this[n]=r;this._$Ep=void 0}let s=this.constructor.elementProperties;if(s.size>0)for(let[n,r]of s){let{wrapped:o}=r,a=this[n];o!==!0||this._$AL.has(n)||a===void 0||this.C(n,void 0,r,a)}}let e=!1,t=this._$AL;try{e=this.shouldUpdate(t),e?(this.willUpdate(t),this._$EO?.forEach(s=>s.hostUpdate?.()),this.update(t)):this._$EM()}catch(s){throw e=!1,this._$EM(),s}e&&this._$AE(t)}willUpdate(e){}_$AE(e){this._$EO?.forEach(t=>t.hostUpdated?.()),this.hasUpdated||(this.hasUpdated=!0,this.firstUpdated(e)),this.updated(e)}_$EM(){this._$AL=new Map,this.isUpdatePending=!1}get updateComplete(){return this.getUpdateComplete()}getUpdateComplete(){return this._$ES}shouldUpdate(e){return!0}update(e){this._$Eq&&=this._$Eq.forEach(t=>this._$ET(t,this[t])),this._$EM()}updated(e){}firstUpdated(e){}};f.elementStyles=[],f.shadowRootOptions={mode:"open"},f[T("elementProperties")]=new Map,f[T("finalized")]=new Map,De?.({ReactiveElement:f}),(D.reactiveElementVersions??=[]).push("2.1.2");var X=globalThis,de=i=>i,z=X.trustedTypes,he=z?z.createPolicy("lit-html",{createHTML:i=>i}):void 0,$e="$lit$",y=`lit$${Math.random().toFixed(9).slice(2)}$`,ye="?"+y,ze=`<${ye}>`,w=document,C=()=>w.createComment(""),R=i=>i===null||typeof i!="object"&&typeof i!="function",Z=Array.isArray,We=i=>Z(i)||typeof i?.[Symbol.iterator]=="function",F=`[ 	
\f\r]`,k=/<(?:(!--|\/[^a-zA-Z])|(\/?[a-zA-Z][^>\s]*)|(\/?$))/g,pe=/-->/g,ue=/>/g,b=RegExp(`>|${F}(?:([^\\s"'>=/]+)(${F}*=${F}*(?:[^ 	
\f\r"'\`<>=]|("|')|))|$)`,"g"),ge=/'/g,fe=/"/g,_e=/^(?:script|style|textarea|title)$/i,Q=i=>(e,...t)=>({_$litType$:i,strings:e,values:t}),d=Q(1),ee=Q(2),Ge=Q(3),m=Symbol.for("lit-noChange"),c=Symbol.for("lit-nothing"),me=new WeakMap,v=w.createTreeWalker(w,129);function be(i,e){if(!Z(i)||!i.hasOwnProperty("raw"))throw Error("invalid template strings array");return he!==void 0?he.createHTML(e):e}var Ie=(i,e)=>{let t=i.length-1,s=[],n,r=e===2?"<svg>":e===3?"<math>":"",o=k;for(let a=0;a<t;a++){let l=i[a],p,u,h=-1,g=0;for(;g<l.length&&(o.lastIndex=g,u=o.exec(l),u!==null);)g=o.lastIndex,o===k?u[1]==="!--"?o=pe:u[1]!==void 0?o=ue:u[2]!==void 0?(_e.test(u[2])&&(n=RegExp("</"+u[2],"g")),o=b):u[3]!==void 0&&(o=b):o===b?u[0]===">"?(o=n??k,h=-1):u[1]===void 0?h=-2:(h=o.lastIndex-u[2].length,p=u[1],o=u[3]===void 0?b:u[3]==='"'?fe:ge):o===fe||o===ge?o=b:o===pe||o===ue?o=k:(o=b,n=void 0);let $=o===b&&i[a+1].startsWith("/>")?" ":"";r+=o===k?l+ze:h>=0?(s.push(p),l.slice(0,h)+$e+l.slice(h)+y+$):l+y+(h===-2?a:$)}return[be(i,r+(i[t]||"<?>")+(e===2?"</svg>":e===3?"</math>":"")),s]},U=class i{constructor({strings:e,_$litType$:t},s){let n;this.parts=[];let r=0,o=0,a=e.length-1,l=this.parts,[p,u]=Ie(e,t);if(this.el=i.createElement(p,s),v.currentNode=this.el.content,t===2||t===3){let h=this.el.content.firstChild;h.replaceWith(...h.childNodes)}for(;(n=v.nextNode())!==null&&l.length<a;){if(n.nodeType===1){if(n.hasAttributes())for(let h of n.getAttributeNames())if(h.endsWith($e)){let g=u[o++],$=n.getAttribute(h).split(y),L=/([.?@])?(.*)/.exec(g);l.push({type:1,index:r,name:L[2],strings:$,ctor:L[1]==="."?Y:L[1]==="?"?K:L[1]==="@"?J:x}),n.removeAttribute(h)}else h.startsWith(y)&&(l.push({type:6,index:r}),n.removeAttribute(h));if(_e.test(n.tagName)){let h=n.textContent.split(y),g=h.length-1;if(g>0){n.textContent=z?z.emptyScript:"";for(let $=0;$<g;$++)n.append(h[$],C()),v.nextNode(),l.push({type:2,index:++r});n.append(h[g],C())}}}else if(n.nodeType===8)if(n.data===ye)l.push({type:2,index:r});else{let h=-1;for(;(h=n.data.indexOf(y,h+1))!==-1;)l.push({type:7,index:r}),h+=y.length-1}r++}}static createElement(e,t){let s=w.createElement("template");return s.innerHTML=e,s}};function A(i,e,t=i,s){if(e===m)return e;let n=s!==void 0?t._$Co?.[s]:t._$Cl,r=R(e)?void 0:e._$litDirective$;return n?.constructor!==r&&(n?._$AO?.(!1),r===void 0?n=void 0:(n=new r(i),n._$AT(i,t,s)),s!==void 0?(t._$Co??=[])[s]=n:t._$Cl=n),n!==void 0&&(e=A(i,n._$AS(i,e.values),n,s)),e}var V=class{constructor(e,t){this._$AV=[],this._$AN=void 0,this._$AD=e,this._$AM=t}get parentNode(){return this._$AM.parentNode}get _$AU(){return this._$AM._$AU}u(e){let{el:{content:t},parts:s}=this._$AD,n=(e?.creationScope??w).importNode(t,!0);v.currentNode=n;let r=v.nextNode(),o=0,a=0,l=s[0];for(;l!==void 0;){if(o===l.index){let p;l.type===2?p=new N(r,r.nextSibling,this,e):l.type===1?p=new l.ctor(r,l.name,l.strings,this,e):l.type===6&&(p=new G(r,this,e)),this._$AV.push(p),l=s[++a]}o!==l?.index&&(r=v.nextNode(),o++)}return v.currentNode=w,n}p(e){let t=0;for(let s of this._$AV)s!==void 0&&(s.strings!==void 0?(s._$AI(e,s,t),t+=s.strings.length-2):s._$AI(e[t])),t++}},N=class i{get _$AU(){return this._$AM?._$AU??this._$Cv}constructor(e,t,s,n){this.type=2,this._$AH=c,this._$AN=void 0,this._$AA=e,this._$AB=t,this._$AM=s,this.options=n,this._$Cv=n?.isConnected??!0}get parentNode(){let e=this._$AA.parentNode,t=this._$AM;return t!==void 0&&e?.nodeType===11&&(e=t.parentNode),e}get startNode(){return this._$AA}get endNode(){return this._$AB}_$AI(e,t=this){e=A(this,e,t),R(e)?e===c||e==null||e===""?(this._$AH!==c&&this._$AR(),this._$AH=c):e!==this._$AH&&e!==m&&this._(e):e._$litType$!==void 0?this.$(e):e.nodeType!==void 0?this.T(e):We(e)?this.k(e):this._(e)}O(e){return this._$AA.parentNode.insertBefore(e,this._$AB)}T(e){this._$AH!==e&&(this._$AR(),this._$AH=this.O(e))}_(e){this._$AH!==c&&R(this._$AH)?this._$AA.nextSibling.data=e:this.T(w.createTextNode(e)),this._$AH=e}$(e){let{values:t,_$litType$:s}=e,n=typeof s=="number"?this._$AC(e):(s.el===void 0&&(s.el=U.createElement(be(s.h,s.h[0]),this.options)),s);if(this._$AH?._$AD===n)this._$AH.p(t);else{let r=new V(n,this),o=r.u(this.options);r.p(t),this.T(o),this._$AH=r}}_$AC(e){let t=me.get(e.strings);return t===void 0&&me.set(e.strings,t=new U(e)),t}k(e){Z(this._$AH)||(this._$AH=[],this._$AR());let t=this._$AH,s,n=0;for(let r of e)n===t.length?t.push(s=new i(this.O(C()),this.O(C()),this,this.options)):s=t[n],s._$AI(r),n++;n<t.length&&(this._$AR(s&&s._$AB.nextSibling,n),t.length=n)}_$AR(e=this._$AA.nextSibling,t){for(this._$AP?.(!1,!0,t);e!==this._$AB;){let s=de(e).nextSibling;de(e).remove(),e=s}}setConnected(e){this._$AM===void 0&&(this._$Cv=e,this._$AP?.(e))}},x=class{get tagName(){return this.element.tagName}get _$AU(){return this._$AM._$AU}constructor(e,t,s,n,r){this.type=1,this._$AH=c,this._$AN=void 0,this.element=e,this.name=t,this._$AM=n,this.options=r,s.length>2||s[0]!==""||s[1]!==""?(this._$AH=Array(s.length-1).fill(new String),this.strings=s):this._$AH=c}_$AI(e,t=this,s,n){let r=this.strings,o=!1;if(r===void 0)e=A(this,e,t,0),o=!R(e)||e!==this._$AH&&e!==m,o&&(this._$AH=e);else{let a=e,l,p;for(e=r[0],l=0;l<r.length-1;l++)p=A(this,a[s+l],t,l),p===m&&(p=this._$AH[l]),o||=!R(p)||p!==this._$AH[l],p===c?e=c:e!==c&&(e+=(p??"")+r[l+1]),this._$AH[l]=p}o&&!n&&this.j(e)}j(e){e===c?this.element.removeAttribute(this.name):this.element.setAttribute(this.name,e??"")}},Y=class extends x{constructor(){super(...arguments),this.type=3}j(e){this.element[this.name]=e===c?void 0:e}},K=class extends x{constructor(){super(...arguments),this.type=4}j(e){this.element.toggleAttribute(this.name,!!e&&e!==c)}},J=class extends x{constructor(e,t,s,n,r){super(e,t,s,n,r),this.type=5}_$AI(e,t=this){if((e=A(this,e,t,0)??c)===m)return;let s=this._$AH,n=e===c&&s!==c||e.capture!==s.capture||e.once!==s.once||e.passive!==s.passive,r=e!==c&&(s===c||n);n&&this.element.removeEventListener(this.name,this,s),r&&this.element.addEventListener(this.name,this,e),this._$AH=e}handleEvent(e){typeof this._$AH=="function"?this._$AH.call(this.options?.host??this.element,e):this._$AH.handleEvent(e)}},G=class{constructor(e,t,s){this.element=e,this.type=6,this._$AN=void 0,this._$AM=t,this.options=s}get _$AU(){return this._$AM._$AU}_$AI(e){A(this,e)}};var Be=X.litHtmlPolyfillSupport;Be?.(U,N),(X.litHtmlVersions??=[]).push("3.3.3");var ve=(i,e,t)=>{let s=t?.renderBefore??e,n=s._$litPart$;if(n===void 0){let r=t?.renderBefore??null;s._$litPart$=n=new N(e.insertBefore(C(),r),r,void 0,t??{})}return n._$AI(i),n};var te=globalThis,_=class extends f{constructor(){super(...arguments),this.renderOptions={host:this},this._$Do=void 0}createRenderRoot(){let e=super.createRenderRoot();return this.renderOptions.renderBefore??=e.firstChild,e}update(e){let t=this.render();this.hasUpdated||(this.renderOptions.isConnected=this.isConnected),super.update(e),this._$Do=ve(t,this.renderRoot,this.renderOptions)}connectedCallback(){super.connectedCallback(),this._$Do?.setConnected(!0)}disconnectedCallback(){super.disconnectedCallback(),this._$Do?.setConnected(!1)}render(){return m}};_._$litElement$=!0,_.finalized=!0,te.litElementHydrateSupport?.({LitElement:_});var je=te.litElementPolyfillSupport;je?.({LitElement:_});(te.litElementVersions??=[]).push("4.2.2");var we={ATTRIBUTE:1,CHILD:2,PROPERTY:3,BOOLEAN_ATTRIBUTE:4,EVENT:5,ELEMENT:6},Ae=i=>(...e)=>({_$litDirective$:i,values:e}),W=class{constructor(e){}get _$AU(){return this._$AM._$AU}_$AT(e,t,s){this._$Ct=e,this._$AM=t,this._$Ci=s}_$AS(e,t){return this.update(e,t)}update(e,t){return this.render(...t)}};var P=class extends W{constructor(e){if(super(e),this.it=c,e.type!==we.CHILD)throw Error(this.constructor.directiveName+"() can only be used in child bindings")}render(e){if(e===c||e==null)return this._t=void 0,this.it=e;if(e===m)return e;if(typeof e!="string")throw Error(this.constructor.directiveName+"() called with a non-string value");if(e===this.it)return this._t;this.it=e;let t=[e];return t.raw=t,this._t={_$litType$:this.constructor.resultType,strings:t,values:[]}}};P.directiveName="unsafeHTML",P.resultType=1;var xe=Ae(P);var qe={title:"Electricity",balance:"Balance",daysLeft:i=>`about ${i} days of credit left`,noTenancy:"No tenancy in this room at the moment.",supply:"Supply",thisCycle:"This billing cycle",byMeter:"One balance pays for these meters",energy:"Energy used",cost:"Cost",freeLeft:"Free energy left",priceNow:"Price now",perKwh:"per kWh",usage30:"Daily use, last 30 days (kWh)",topUps:"Top-ups",noTopUps:"No top-ups yet.",statements:"Statements",noStatements:"No finished billing cycle yet.",view:"View",download:"Download",cycleTo:(i,e)=>`${i} to ${e}`,buttons:{restore_after_warning:"Restore after warning",use_emergency_credit:"Use emergency credit"},confirm:{restore_after_warning:"Switch the supply back on? It will be cut again at cut-off.",use_emergency_credit:"Take the emergency credit? Your next top-up pays it back."},cancel:"Cancel",done:{restore_after_warning:"The supply is being switched back on.",use_emergency_credit:"Emergency credit taken: the supply stays on."},pressFailed:"That did not work:",updated:i=>`Updated ${i}`,gone:"This link no longer works. Ask your landlord for the new one.",tooMany:"Too many attempts from this network. Wait a minute and reload.",offline:"Cannot reach the server; retrying.",states:{on:"On",low:"On, balance low",warning_cut:"Cut: warning level reached",cut_off:"Cut off",friendly_hold:"On (friendly hours, on credit)",scheduled_off:"Off by schedule",overload:"Off: overload",forced_off:"Switched off by the landlord",protected:"On (kept on by the landlord)",fault:"Fault: the switch does not answer"},reasons:{balance_ok:"Your balance is fine.",balance_low:"Your balance is low: top up soon.",warning_level_crossed:"Your balance reached the warning level, so the supply was cut once. You can switch it back on yourself.",warning_cut_deferred:"Your balance reached the warning level; the warning cut waits for friendly hours to end.",grace_period:"Your balance is used up; the supply stays on for a short grace period.",balance_exhausted:"Your balance is used up. A top-up switches the supply back on.",cut_off_due:"Your balance is used up; the landlord will switch the supply off.",friendly_hours:"Your balance is used up, but the supply stays on during friendly hours; what you use becomes debt.",schedule_off:"The room's supply schedule has it off now.",overload_tripped:"Too much power was drawn; the supply comes back on by itself shortly.",overload_locked:"Too much power was drawn too often; the landlord must switch it back on.",forced_off:"The landlord switched the supply off.",protected:"The landlord keeps the supply on whatever the balance.",actuator_fault:"The switch of this room does not answer; the landlord has been told.",vacant:"No tenancy: the supply is off.",vacant_preset:"No tenancy: the supply is on for the landlord's preset energy."},methods:{cash:"cash",transfer:"transfer",card:"card",app:"app",other:"other"},switchTo:"\u4E2D\u6587",emergencyOwed:i=>`Emergency credit in use: ${i}, paid back by the next top-up.`,kiosk:"Balances",payment:"Pay by bank transfer",paymentReference:"Put this reference on your bank transfer:",paymentTo:"To",paymentScan:"Or scan this code with your banking app (the reference is filled in; enter the amount)."},Fe={title:"\u7535\u8D39",balance:"\u4F59\u989D",daysLeft:i=>`\u7EA6\u53EF\u518D\u7528 ${i} \u5929`,noTenancy:"\u672C\u623F\u95F4\u76EE\u524D\u6CA1\u6709\u79DF\u6237\u3002",supply:"\u4F9B\u7535",thisCycle:"\u672C\u8BA1\u8D39\u5468\u671F",byMeter:"\u540C\u4E00\u4F59\u989D\u652F\u4ED8\u4EE5\u4E0B\u7535\u8868",energy:"\u5DF2\u7528\u7535\u91CF",cost:"\u7535\u8D39",freeLeft:"\u5269\u4F59\u514D\u8D39\u7535\u91CF",priceNow:"\u5F53\u524D\u7535\u4EF7",perKwh:"\u6BCF\u5343\u74E6\u65F6",usage30:"\u8FD1 30 \u5929\u6BCF\u65E5\u7528\u7535\uFF08\u5343\u74E6\u65F6\uFF09",topUps:"\u5145\u503C\u8BB0\u5F55",noTopUps:"\u8FD8\u6CA1\u6709\u5145\u503C\u3002",statements:"\u8D26\u5355",noStatements:"\u8FD8\u6CA1\u6709\u7ED3\u675F\u7684\u8BA1\u8D39\u5468\u671F\u3002",view:"\u67E5\u770B",download:"\u4E0B\u8F7D",cycleTo:(i,e)=>`${i} \u81F3 ${e}`,buttons:{restore_after_warning:"\u9884\u8B66\u65AD\u7535\u540E\u6062\u590D\u4F9B\u7535",use_emergency_credit:"\u4F7F\u7528\u5E94\u6025\u989D\u5EA6"},confirm:{restore_after_warning:"\u6062\u590D\u4F9B\u7535\u5417\uFF1F\u4F59\u989D\u7528\u5C3D\u65F6\u4ECD\u4F1A\u65AD\u7535\u3002",use_emergency_credit:"\u4F7F\u7528\u5E94\u6025\u989D\u5EA6\u5417\uFF1F\u4E0B\u6B21\u5145\u503C\u65F6\u4F1A\u5148\u6263\u56DE\u3002"},cancel:"\u53D6\u6D88",done:{restore_after_warning:"\u6B63\u5728\u6062\u590D\u4F9B\u7535\u3002",use_emergency_credit:"\u5DF2\u4F7F\u7528\u5E94\u6025\u989D\u5EA6\uFF0C\u4FDD\u6301\u4F9B\u7535\u3002"},pressFailed:"\u64CD\u4F5C\u672A\u6210\u529F\uFF1A",updated:i=>`\u66F4\u65B0\u4E8E ${i}`,gone:"\u6B64\u94FE\u63A5\u5DF2\u5931\u6548\uFF0C\u8BF7\u5411\u623F\u4E1C\u7D22\u53D6\u65B0\u94FE\u63A5\u3002",tooMany:"\u6B64\u7F51\u7EDC\u7684\u5C1D\u8BD5\u6B21\u6570\u8FC7\u591A\uFF0C\u8BF7\u7A0D\u5019\u4E00\u5206\u949F\u518D\u5237\u65B0\u3002",offline:"\u65E0\u6CD5\u8FDE\u63A5\u670D\u52A1\u5668\uFF0C\u6B63\u5728\u91CD\u8BD5\u3002",states:{on:"\u4F9B\u7535\u4E2D",low:"\u4F9B\u7535\u4E2D\uFF0C\u4F59\u989D\u4E0D\u8DB3",warning_cut:"\u5DF2\u65AD\u7535\uFF1A\u8FBE\u5230\u9884\u8B66\u4F59\u989D",cut_off:"\u5DF2\u65AD\u7535",friendly_hold:"\u4F9B\u7535\u4E2D\uFF08\u53CB\u597D\u65F6\u6BB5\uFF0C\u6B20\u8D39\u4F7F\u7528\uFF09",scheduled_off:"\u6309\u65F6\u95F4\u8868\u65AD\u7535",overload:"\u5DF2\u65AD\u7535\uFF1A\u8FC7\u8F7D",forced_off:"\u623F\u4E1C\u5DF2\u65AD\u7535",protected:"\u4F9B\u7535\u4E2D\uFF08\u623F\u4E1C\u4FDD\u7535\uFF09",fault:"\u6545\u969C\uFF1A\u5F00\u5173\u65E0\u54CD\u5E94"},reasons:{balance_ok:"\u4F59\u989D\u5145\u8DB3\u3002",balance_low:"\u4F59\u989D\u4E0D\u8DB3\uFF0C\u8BF7\u5C3D\u5FEB\u5145\u503C\u3002",warning_level_crossed:"\u4F59\u989D\u8FBE\u5230\u9884\u8B66\u7EBF\uFF0C\u5DF2\u65AD\u7535\u4E00\u6B21\u3002\u60A8\u53EF\u4EE5\u81EA\u884C\u6062\u590D\u4F9B\u7535\u3002",warning_cut_deferred:"\u4F59\u989D\u8FBE\u5230\u9884\u8B66\u7EBF\uFF0C\u9884\u8B66\u65AD\u7535\u5C06\u5728\u53CB\u597D\u65F6\u6BB5\u7ED3\u675F\u540E\u6267\u884C\u3002",grace_period:"\u4F59\u989D\u5DF2\u7528\u5C3D\uFF0C\u5BBD\u9650\u671F\u5185\u6682\u65F6\u4FDD\u6301\u4F9B\u7535\u3002",balance_exhausted:"\u4F59\u989D\u5DF2\u7528\u5C3D\u3002\u5145\u503C\u540E\u81EA\u52A8\u6062\u590D\u4F9B\u7535\u3002",cut_off_due:"\u4F59\u989D\u5DF2\u7528\u5C3D\uFF0C\u623F\u4E1C\u5C06\u65AD\u5F00\u4F9B\u7535\u3002",friendly_hours:"\u4F59\u989D\u5DF2\u7528\u5C3D\uFF0C\u53CB\u597D\u65F6\u6BB5\u5185\u4FDD\u6301\u4F9B\u7535\uFF0C\u6240\u7528\u7535\u91CF\u8BA1\u4E3A\u6B20\u8D39\u3002",schedule_off:"\u6309\u672C\u623F\u95F4\u7684\u4F9B\u7535\u65F6\u95F4\u8868\uFF0C\u73B0\u5728\u4E0D\u4F9B\u7535\u3002",overload_tripped:"\u7528\u7535\u529F\u7387\u8FC7\u5927\uFF0C\u7A0D\u540E\u81EA\u52A8\u6062\u590D\u4F9B\u7535\u3002",overload_locked:"\u591A\u6B21\u8FC7\u8F7D\uFF0C\u9700\u7531\u623F\u4E1C\u6062\u590D\u4F9B\u7535\u3002",forced_off:"\u623F\u4E1C\u5DF2\u65AD\u5F00\u4F9B\u7535\u3002",protected:"\u623F\u4E1C\u8BBE\u7F6E\u4E3A\u4E0D\u8BBA\u4F59\u989D\u90FD\u4FDD\u6301\u4F9B\u7535\u3002",actuator_fault:"\u672C\u623F\u95F4\u7684\u5F00\u5173\u65E0\u54CD\u5E94\uFF0C\u5DF2\u901A\u77E5\u623F\u4E1C\u3002",vacant:"\u65E0\u79DF\u6237\uFF1A\u4E0D\u4F9B\u7535\u3002",vacant_preset:"\u65E0\u79DF\u6237\uFF1A\u5728\u623F\u4E1C\u9884\u8BBE\u7535\u91CF\u5185\u4F9B\u7535\u3002"},methods:{cash:"\u73B0\u91D1",transfer:"\u8F6C\u8D26",card:"\u5237\u5361",app:"\u5E94\u7528",other:"\u5176\u4ED6"},switchTo:"English",emergencyOwed:i=>`\u6B63\u5728\u4F7F\u7528\u5E94\u6025\u989D\u5EA6 ${i}\uFF0C\u4E0B\u6B21\u5145\u503C\u65F6\u6263\u56DE\u3002`,kiosk:"\u4F59\u989D\u4E00\u89C8",payment:"\u94F6\u884C\u8F6C\u8D26\u5145\u503C",paymentReference:"\u94F6\u884C\u8F6C\u8D26\u65F6\u8BF7\u586B\u5199\u6B64\u53C2\u8003\u53F7\uFF1A",paymentTo:"\u6536\u6B3E\u4EBA",paymentScan:"\u6216\u7528\u94F6\u884C App \u626B\u63CF\u6B64\u4E8C\u7EF4\u7801\uFF08\u5DF2\u586B\u5165\u53C2\u8003\u53F7\uFF0C\u8BF7\u8F93\u5165\u91D1\u989D\uFF09\u3002"},Se={en:qe,"zh-Hans":Fe},Ee="prepaid-power-language";function Te(){let i=localStorage.getItem(Ee);if(i==="en"||i==="zh-Hans")return i;for(let e of navigator.languages??[navigator.language]){let t=e.toLowerCase();if(t.startsWith("zh"))return t.includes("hant")||t.endsWith("-tw")||t.endsWith("-hk")?"en":"zh-Hans";if(t.startsWith("en"))return"en"}return"en"}function ke(i){localStorage.setItem(Ee,i)}var I=location.pathname.replace(/\/+$/,""),Ce=E`
  :host {
    display: block;
    font-family: system-ui, -apple-system, "Segoe UI", Roboto, "PingFang SC", "Noto Sans CJK SC", sans-serif;
    color: #1c1c1e;
    background: #f2f2f7;
    min-height: 100vh;
    padding: 12px;
    box-sizing: border-box;
    max-width: 560px;
    margin: 0 auto;
  }
  header {
    display: flex;
    justify-content: space-between;
    align-items: center;
    margin: 4px 2px 12px;
  }
  h1 {
    font-size: 1.3rem;
    margin: 0;
  }
  h2 {
    font-size: 0.95rem;
    margin: 0 0 8px;
    color: #3a3a3c;
  }
  .card {
    background: #fff;
    border-radius: 14px;
    padding: 14px 16px;
    margin-bottom: 12px;
    box-shadow: 0 1px 2px rgba(0, 0, 0, 0.06);
  }
  .big {
    font-size: 2.2rem;
    font-weight: 650;
    letter-spacing: -0.02em;
  }
  .muted {
    color: #6c6c70;
    font-size: 0.9rem;
  }
  .lang {
    border: 1px solid #c7c7cc;
    background: #fff;
    border-radius: 999px;
    padding: 6px 12px;
    font: inherit;
    font-size: 0.9rem;
  }
  .dot {
    display: inline-block;
    width: 12px;
    height: 12px;
    border-radius: 50%;
    margin-right: 8px;
    vertical-align: middle;
    background: #8e8e93;
  }
  .dot.on {
    background: #34c759;
  }
  .dot.off {
    background: #ff3b30;
  }
  .problem {
    background: #fff4e5;
    color: #8a4b00;
  }
`;function Re(i){return i.on===!0?"dot on":i.on===!1?"dot off":"dot"}var O=class extends _{constructor(){super(...arguments);this.data=null;this.language=Te();this.problem=null;this.updatedAt=null}static{this.properties={data:{state:!0},language:{state:!0},problem:{state:!0},updatedAt:{state:!0}}}get words(){return Se[this.language]}connectedCallback(){super.connectedCallback(),document.documentElement.lang=this.language,document.body.style.margin="0",document.body.style.background="#f2f2f7",this.refresh()}disconnectedCallback(){super.disconnectedCallback(),window.clearTimeout(this.timer)}async refresh(){window.clearTimeout(this.timer);let t=30;try{let s=await fetch(`${I}/data?lang=${encodeURIComponent(this.language)}`,{cache:"no-store",credentials:"omit"});if(s.status===404){this.data=null,this.problem="gone";return}s.status===429?(this.problem="tooMany",t=Number(s.headers.get("Retry-After")??"60")):s.ok?(this.data=await s.json(),this.problem=null,this.updatedAt=new Date,t=this.data.refresh_seconds):this.problem="offline"}catch{this.problem="offline"}this.timer=window.setTimeout(()=>{this.refresh()},t*1e3)}switchLanguage(){this.language=this.language==="en"?"zh-Hans":"en",ke(this.language),document.documentElement.lang=this.language,this.refresh()}header(t){return d`<header>
      <h1>${t}</h1>
      <button class="lang" data-pp="lang" @click=${()=>this.switchLanguage()}>${this.words.switchTo}</button>
    </header>`}problemCard(){return this.problem?d`<div class="card problem" role="alert">${this.words[this.problem]}</div>`:c}},se=class extends O{constructor(){super(...arguments);this.message=null;this.busy=!1;this.pending=null}static{this.properties={...O.properties,message:{state:!0},busy:{state:!0},pending:{state:!0}}}static{this.styles=[Ce,E`
      .reference {
        font-size: 1.4rem;
        font-weight: 650;
        letter-spacing: 0.04em;
        margin: 4px 0 8px;
        user-select: all;
      }
      .qr svg {
        display: block;
        width: 180px;
        height: 180px;
        margin: 8px auto 0;
      }
      .row {
        display: flex;
        justify-content: space-between;
        padding: 6px 0;
        border-bottom: 1px solid #f2f2f7;
      }
      .row:last-child {
        border-bottom: 0;
      }
      .actions button {
        display: block;
        width: 100%;
        font: inherit;
        font-size: 1.05rem;
        padding: 14px;
        margin-top: 8px;
        border-radius: 12px;
        border: 0;
        background: #007aff;
        color: #fff;
      }
      .actions button.secondary {
        background: #e5e5ea;
        color: #1c1c1e;
      }
      .actions button[disabled] {
        opacity: 0.5;
      }
      .message {
        margin-top: 10px;
      }
      svg {
        width: 100%;
        height: 120px;
        display: block;
      }
      .bar {
        fill: #007aff;
      }
      .axis {
        fill: #6c6c70;
        font-size: 9px;
      }
      a {
        color: #007aff;
        margin-left: 12px;
      }
      ul {
        list-style: none;
        padding: 0;
        margin: 0;
      }
    `]}async press(t){let s=this.words;if(this.pending=null,!!this.data){this.busy=!0,this.message=null;try{let n=await fetch(`${I}/press?lang=${encodeURIComponent(this.language)}`,{method:"POST",credentials:"omit",headers:{"Content-Type":"application/json","X-Portal-CSRF":this.data.csrf},body:JSON.stringify({button:t})}),r=await n.json().catch(()=>({}));if(n.status===404){this.problem="gone",this.data=null;return}this.message=n.ok?s.done[t]??"":`${s.pressFailed} ${r.message??r.error??n.status}`}catch{this.message=`${s.pressFailed} ${s.offline}`}finally{this.busy=!1}await this.refresh()}}chart(t){let r=t.map(l=>Number(l.kwh)),o=Math.max(...r,.001),a=300/Math.max(t.length,1);return d`<svg viewBox="0 0 ${300} ${122}" role="img" aria-label=${this.words.usage30}>
      ${t.map((l,p)=>{let u=r[p]/o*110;return ee`<rect class="bar" x=${p*a+1} y=${110-u} width=${Math.max(a-2,1)} height=${u}><title>${l.date}: ${l.kwh} kWh</title></rect>`})}
      ${t.length?ee`<text class="axis" x="0" y=${120}>${t[0].date.slice(5)}</text>
            <text class="axis" x=${300} y=${120} text-anchor="end">${t[t.length-1].date.slice(5)}</text>
            <text class="axis" x="0" y="8">${o.toFixed(2)}</text>`:c}
    </svg>`}paymentCard(t){let s=this.words;return d`<section class="card" data-pp="payment">
      <h2>${s.payment}</h2>
      ${t.reference?d`<div class="muted">${s.paymentReference}</div>
            <div class="reference" data-pp="reference">${t.reference}</div>`:c}
      ${t.payee?d`<div class="row"><span>${s.paymentTo}</span><span>${t.payee}</span></div>
            <div class="row"><span>IBAN</span><span class="iban">${t.iban}</span></div>
            ${t.bic?d`<div class="row"><span>BIC</span><span>${t.bic}</span></div>`:c}`:c}
      ${t.qr_svg?d`<div class="muted">${s.paymentScan}</div>
            <div class="qr" data-pp="payment-qr">${xe(t.qr_svg)}</div>`:c}
    </section>`}render(){let t=this.words,s=this.data;if(!s)return d`${this.header(t.title)}${this.problemCard()}`;let n=a=>a===null?"\u2014":`${a} ${s.currency}`,r=encodeURIComponent(this.language),o=s.buttons.filter(a=>a==="restore_after_warning"?s.supply.state==="warning_cut":!(Number(s.emergency_credit_outstanding??"0")>0));return d`
      ${this.header(s.room)} ${this.problemCard()}
      <section class="card" aria-label=${t.balance}>
        <div class="muted">${t.balance}${s.tenant?d` · ${s.tenant}`:c}</div>
        <div class="big" data-pp="balance">${n(s.live_balance)}</div>
        ${s.days_of_credit_left!==null?d`<div class="muted">${t.daysLeft(s.days_of_credit_left)}</div>`:c}
        ${s.emergency_credit_outstanding&&Number(s.emergency_credit_outstanding)>0?d`<div class="muted">${t.emergencyOwed(n(s.emergency_credit_outstanding))}</div>`:c}
        ${s.occupied?c:d`<div class="muted">${t.noTenancy}</div>`}
      </section>
      <section class="card" aria-label=${t.supply}>
        <h2>${t.supply}</h2>
        <div data-pp="supply"><span class=${Re(s.supply)}></span>${t.states[s.supply.state??""]??"\u2014"}</div>
        <div class="muted" data-pp="reason">${t.reasons[s.supply.reason??""]??""}</div>
        ${o.length?d`<div class="actions">
              ${this.pending?d`<div class="message">${t.confirm[this.pending]??""}</div>
                    <button data-pp="confirm" ?disabled=${this.busy} @click=${()=>{this.press(this.pending??"")}}>${t.buttons[this.pending]??""}</button>
                    <button data-pp="cancel" class="secondary" @click=${()=>this.pending=null}>${t.cancel}</button>`:o.map(a=>d`<button data-pp=${a} ?disabled=${this.busy} @click=${()=>this.pending=a}>${t.buttons[a]??a}</button>`)}
            </div>`:c}
        ${this.message?d`<div class="message" role="status" data-pp="message">${this.message}</div>`:c}
      </section>
      <section class="card">
        <h2>${t.thisCycle}</h2>
        <div class="row"><span>${t.energy}</span><span>${s.energy_this_cycle_kwh??"\u2014"} kWh</span></div>
        <div class="row"><span>${t.cost}</span><span>${n(s.cost_this_cycle)}</span></div>
        ${s.has_allowance?d`<div class="row"><span>${t.freeLeft}</span><span>${s.allowance_left_kwh??"\u2014"} kWh</span></div>`:c}
        <div class="row"><span>${t.priceNow}</span><span>${n(s.price)} ${t.perKwh}</span></div>
        ${s.meters.length?d`<h3>${t.byMeter}</h3>
              <ul data-pp="meters">
                ${s.meters.map(a=>d`<li class="row"><span>${a.room}</span><span>${a.energy_this_cycle_kwh??"\u2014"} kWh · ${n(a.cost_this_cycle)}</span></li>`)}
              </ul>`:c}
      </section>
      <section class="card">
        <h2>${t.usage30}</h2>
        ${this.chart(s.daily_usage)}
      </section>
      <section class="card">
        <h2>${t.topUps}</h2>
        ${s.top_ups.length?d`<ul>
              ${s.top_ups.map(a=>d`<li class="row"><span>${a.at.slice(0,16).replace("T"," ")} · ${t.methods[a.method??""]??a.method??""}</span><span>+${n(a.amount)}</span></li>`)}
            </ul>`:d`<div class="muted">${t.noTopUps}</div>`}
      </section>
      ${s.payment?this.paymentCard(s.payment):c}
      <section class="card">
        <h2>${t.statements}</h2>
        ${s.statements.length?d`<ul>
              ${s.statements.map(a=>d`<li class="row"><span>${t.cycleTo(a.cycle,a.last_day)}</span><span>
                  <a href="${I}/statement/${a.cycle}?lang=${r}" target="_blank" rel="noreferrer">${t.view}</a>
                  <a href="${I}/statement/${a.cycle}?lang=${r}&download=1" download>${t.download}</a>
                </span></li>`)}
            </ul>`:d`<div class="muted">${t.noStatements}</div>`}
      </section>
      <div class="muted">${this.updatedAt?t.updated(this.updatedAt.toLocaleTimeString(this.language)):c}</div>
    `}},ne=class extends O{static{this.styles=[Ce,E`
      :host {
        max-width: none;
      }
      .grid {
        display: grid;
        grid-template-columns: repeat(auto-fill, minmax(200px, 1fr));
        gap: 12px;
      }
      .card {
        margin: 0;
      }
      .big {
        font-size: 1.7rem;
      }
    `]}render(){let e=this.words,t=this.data;return d`
      ${this.header(t?.name||e.kiosk)} ${this.problemCard()}
      <div class="grid">
        ${(t?.rooms??[]).map(s=>d`<section class="card" data-pp="kiosk-room">
            <h2>${s.room}</h2>
            <div class="big">${s.live_balance===null?"\u2014":`${s.live_balance} ${s.currency}`}</div>
            <div><span class=${Re(s.supply)}></span>${e.states[s.supply.state??""]??"\u2014"}</div>
            ${s.days_of_credit_left!==null?d`<div class="muted">${e.daysLeft(s.days_of_credit_left)}</div>`:c}
          </section>`)}
      </div>
    `}};customElements.define("prepaid-power-portal",se);customElements.define("prepaid-power-kiosk",ne);export{ne as PrepaidPowerKiosk,se as PrepaidPowerPortal};
