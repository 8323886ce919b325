/* prepaid_power frontend sources sha256:9734117316ca0126e0780bc64153dcbef6dbd6432eebd58765323e9e95c7a6a2 */
function J(n,s={}){return n.replace(/\{(\w+)\}/g,(e,t)=>t in s?String(s[t]):e)}function L(n){return n.toLowerCase().startsWith("zh")}function b(n,s){return(e,t,r)=>J((L(e)?s:n)[t],r)}var j=globalThis,q=j.ShadowRoot&&(j.ShadyCSS===void 0||j.ShadyCSS.nativeShadow)&&"adoptedStyleSheets"in Document.prototype&&"replace"in CSSStyleSheet.prototype,X=Symbol(),ke=new WeakMap,U=class{constructor(s,e,t){if(this._$cssResult$=!0,t!==X)throw Error("CSSResult is not constructable. Use `unsafeCSS` or `css` instead.");this.cssText=s,this.t=e}get styleSheet(){let s=this.o,e=this.t;if(q&&s===void 0){let t=e!==void 0&&e.length===1;t&&(s=ke.get(e)),s===void 0&&((this.o=s=new CSSStyleSheet).replaceSync(this.cssText),t&&ke.set(e,s))}return s}toString(){return this.cssText}},xe=n=>new U(typeof n=="string"?n:n+"",void 0,X),f=(n,...s)=>{let e=n.length===1?n[0]:s.reduce((t,r,i)=>t+(a=>{if(a._$cssResult$===!0)return a.cssText;if(typeof a=="number")return a;throw Error("Value passed to 'css' function must be a 'css' function result: "+a+". Use 'unsafeCSS' to pass non-literal values, but take care to ensure page security.")})(r)+n[i+1],n[0]);return new U(e,n,X)},Se=(n,s)=>{if(q)n.adoptedStyleSheets=s.map(e=>e instanceof CSSStyleSheet?e:e.styleSheet);else for(let e of s){let t=document.createElement("style"),r=j.litNonce;r!==void 0&&t.setAttribute("nonce",r),t.textContent=e.cssText,n.appendChild(t)}},Z=q?n=>n:n=>n instanceof CSSStyleSheet?(s=>{let e="";for(let t of s.cssRules)e+=t.cssText;return xe(e)})(n):n;var{is:Je,defineProperty:Xe,getOwnPropertyDescriptor:Ze,getOwnPropertyNames:et,getOwnPropertySymbols:tt,getPrototypeOf:st}=Object,V=globalThis,Ee=V.trustedTypes,rt=Ee?Ee.emptyScript:"",it=V.reactiveElementPolyfillSupport,K=(n,s)=>n,ee={toAttribute(n,s){switch(s){case Boolean:n=n?rt:null;break;case Object:case Array:n=n==null?n:JSON.stringify(n)}return n},fromAttribute(n,s){let e=n;switch(s){case Boolean:e=n!==null;break;case Number:e=n===null?null:Number(n);break;case Object:case Array:try{e=JSON.parse(n)}catch{e=null}}return e}},Ae=(n,s)=>!Je(n,s),Re={attribute:!0,type:String,converter:ee,reflect:!1,useDefault:!1,hasChanged:Ae};Symbol.metadata??=Symbol("metadata"),V.litPropertyMetadata??=new WeakMap;var w=class extends HTMLElement{static addInitializer(s){this._$Ei(),(this.l??=[]).push(s)}static get observedAttributes(){return this.finalize(),this._$Eh&&[...this._$Eh.keys()]}static createProperty(s,e=Re){if(e.state&&(e.attribute=!1),this._$Ei(),this.prototype.hasOwnProperty(s)&&((e=Object.create(e)).wrapped=!0),this.elementProperties.set(s,e),!e.noAccessor){let t=Symbol(),r=this.getPropertyDescriptor(s,t,e);r!==void 0&&Xe(this.prototype,s,r)}}static getPropertyDescriptor(s,e,t){let{get:r,set:i}=Ze(this.prototype,s)??{get(){return this[e]},set(a){this[e]=a}};return{get:r,set(a){let l=r?.call(this);i?.call(this,a),this.requestUpdate(s,l,t)},configurable:!0,enumerable:!0}}static getPropertyOptions(s){return this.elementProperties.get(s)??Re}static _$Ei(){if(this.hasOwnProperty(K("elementProperties")))return;let s=st(this);s.finalize(),s.l!==void 0&&(this.l=[...s.l]),this.elementProperties=new Map(s.elementProperties)}static finalize(){if(this.hasOwnProperty(K("finalized")))return;if(this.finalized=!0,this._$Ei(),this.hasOwnProperty(K("properties"))){let e=this.properties,t=[...et(e),...tt(e)];for(let r of t)this.createProperty(r,e[r])}let s=this[Symbol.metadata];if(s!==null){let e=litPropertyMetadata.get(s);if(e!==void 0)for(let[t,r]of e)this.elementProperties.set(t,r)}this._$Eh=new Map;for(let[e,t]of this.elementProperties){let r=this._$Eu(e,t);r!==void 0&&this._$Eh.set(r,e)}this.elementStyles=this.finalizeStyles(this.styles)}static finalizeStyles(s){let e=[];if(Array.isArray(s)){let t=new Set(s.flat(1/0).reverse());for(let r of t)e.unshift(Z(r))}else s!==void 0&&e.push(Z(s));return e}static _$Eu(s,e){let t=e.attribute;return t===!1?void 0:typeof t=="string"?t:typeof s=="string"?s.toLowerCase():void 0}constructor(){super(),this._$Ep=void 0,this.isUpdatePending=!1,this.hasUpdated=!1,this._$Em=null,this._$Ev()}_$Ev(){this._$ES=new Promise(s=>this.enableUpdating=s),this._$AL=new Map,this._$E_(),this.requestUpdate(),this.constructor.l?.forEach(s=>s(this))}addController(s){(this._$EO??=new Set).add(s),this.renderRoot!==void 0&&this.isConnected&&s.hostConnected?.()}removeController(s){this._$EO?.delete(s)}_$E_(){let s=new Map,e=this.constructor.elementProperties;for(let t of e.keys())this.hasOwnProperty(t)&&(s.set(t,this[t]),delete this[t]);s.size>0&&(this._$Ep=s)}createRenderRoot(){let s=this.shadowRoot??this.attachShadow(this.constructor.shadowRootOptions);return Se(s,this.constructor.elementStyles),s}connectedCallback(){this.renderRoot??=this.createRenderRoot(),this.enableUpdating(!0),this._$EO?.forEach(s=>s.hostConnected?.())}enableUpdating(s){}disconnectedCallback(){this._$EO?.forEach(s=>s.hostDisconnected?.())}attributeChangedCallback(s,e,t){this._$AK(s,t)}_$ET(s,e){let t=this.constructor.elementProperties.get(s),r=this.constructor._$Eu(s,t);if(r!==void 0&&t.reflect===!0){let i=(t.converter?.toAttribute!==void 0?t.converter:ee).toAttribute(e,t.type);this._$Em=s,i==null?this.removeAttribute(r):this.setAttribute(r,i),this._$Em=null}}_$AK(s,e){let t=this.constructor,r=t._$Eh.get(s);if(r!==void 0&&this._$Em!==r){let i=t.getPropertyOptions(r),a=typeof i.converter=="function"?{fromAttribute:i.converter}:i.converter?.fromAttribute!==void 0?i.converter:ee;this._$Em=r;let l=a.fromAttribute(e,i.type);this[r]=l??this._$Ej?.get(r)??l,this._$Em=null}}requestUpdate(s,e,t,r=!1,i){if(s!==void 0){let a=this.constructor;if(r===!1&&(i=this[s]),t??=a.getPropertyOptions(s),!((t.hasChanged??Ae)(i,e)||t.useDefault&&t.reflect&&i===this._$Ej?.get(s)&&!this.hasAttribute(a._$Eu(s,t))))return;this.C(s,e,t)}this.isUpdatePending===!1&&(this._$ES=this._$EP())}C(s,e,{useDefault:t,reflect:r,wrapped:i},a){t&&!(this._$Ej??=new Map).has(s)&&(this._$Ej.set(s,a??e??this[s]),i!==!0||a!==void 0)||(this._$AL.has(s)||(this.hasUpdated||t||(e=void 0),this._$AL.set(s,e)),r===!0&&this._$Em!==s&&(this._$Eq??=new Set).add(s))}async _$EP(){this.isUpdatePending=!0;try{await this._$ES}catch(e){Promise.reject(e)}let s=this.scheduleUpdate();return s!=null&&await s,!this.isUpdatePending}scheduleUpdate(){return this.performUpdate()}performUpdate(){if(!this.isUpdatePending)return;if(!this.hasUpdated){if(this.renderRoot??=this.createRenderRoot(),this._$Ep){for(let[r,i]of this._$Ep)this[r]=i;this._$Ep=void 0}let t=this.constructor.elementProperties;if(t.size>0)for(let[r,i]of t){let{wrapped:a}=i,l=this[r];a!==!0||this._$AL.has(r)||l===void 0||this.C(r,void 0,i,l)}}let s=!1,e=this._$AL;try{s=this.shouldUpdate(e),s?(this.willUpdate(e),this._$EO?.forEach(t=>t.hostUpdate?.()),this.update(e)):this._$EM()}catch(t){throw s=!1,this._$EM(),t}s&&this._$AE(e)}willUpdate(s){}_$AE(s){this._$EO?.forEach(e=>e.hostUpdated?.()),this.hasUpdated||(this.hasUpdated=!0,this.firstUpdated(s)),this.updated(s)}_$EM(){this._$AL=new Map,this.isUpdatePending=!1}get updateComplete(){return this.getUpdateComplete()}getUpdateComplete(){return this._$ES}shouldUpdate(s){return!0}update(s){this._$Eq&&=this._$Eq.forEach(e=>this._$ET(e,this[e])),this._$EM()}updated(s){}firstUpdated(s){}};w.elementStyles=[],w.shadowRootOptions={mode:"open"},w[K("elementProperties")]=new Map,w[K("finalized")]=new Map,it?.({ReactiveElement:w}),(V.reactiveElementVersions??=[]).push("2.1.2");var oe=globalThis,Pe=n=>n,B=oe.trustedTypes,Te=B?B.createPolicy("lit-html",{createHTML:n=>n}):void 0,Ue="$lit$",x=`lit$${Math.random().toFixed(9).slice(2)}$`,Ke="?"+x,nt=`<${Ke}>`,R=document,N=()=>R.createComment(""),D=n=>n===null||typeof n!="object"&&typeof n!="function",le=Array.isArray,at=n=>le(n)||typeof n?.[Symbol.iterator]=="function",te=`[ 	
\f\r]`,I=/<(?:(!--|\/[^a-zA-Z])|(\/?[a-zA-Z][^>\s]*)|(\/?$))/g,Ce=/-->/g,Me=/>/g,S=RegExp(`>|${te}(?:([^\\s"'>=/]+)(${te}*=${te}*(?:[^ 	
\f\r"'\`<>=]|("|')|))|$)`,"g"),He=/'/g,Oe=/"/g,Ie=/^(?:script|style|textarea|title)$/i,ce=n=>(s,...e)=>({_$litType$:n,strings:s,values:e}),o=ce(1),de=ce(2),Ht=ce(3),A=Symbol.for("lit-noChange"),d=Symbol.for("lit-nothing"),Le=new WeakMap,E=R.createTreeWalker(R,129);function Ne(n,s){if(!le(n)||!n.hasOwnProperty("raw"))throw Error("invalid template strings array");return Te!==void 0?Te.createHTML(s):s}var ot=(n,s)=>{let e=n.length-1,t=[],r,i=s===2?"<svg>":s===3?"<math>":"",a=I;for(let l=0;l<e;l++){let c=n[l],p,h,u=-1,_=0;for(;_<c.length&&(a.lastIndex=_,h=a.exec(c),h!==null);)_=a.lastIndex,a===I?h[1]==="!--"?a=Ce:h[1]!==void 0?a=Me:h[2]!==void 0?(Ie.test(h[2])&&(r=RegExp("</"+h[2],"g")),a=S):h[3]!==void 0&&(a=S):a===S?h[0]===">"?(a=r??I,u=-1):h[1]===void 0?u=-2:(u=a.lastIndex-h[2].length,p=h[1],a=h[3]===void 0?S:h[3]==='"'?Oe:He):a===Oe||a===He?a=S:a===Ce||a===Me?a=I:(a=S,r=void 0);let $=a===S&&n[l+1].startsWith("/>")?" ":"";i+=a===I?c+nt:u>=0?(t.push(p),c.slice(0,u)+Ue+c.slice(u)+x+$):c+x+(u===-2?l:$)}return[Ne(n,i+(n[e]||"<?>")+(s===2?"</svg>":s===3?"</math>":"")),t]},W=class n{constructor({strings:s,_$litType$:e},t){let r;this.parts=[];let i=0,a=0,l=s.length-1,c=this.parts,[p,h]=ot(s,e);if(this.el=n.createElement(p,t),E.currentNode=this.el.content,e===2||e===3){let u=this.el.content.firstChild;u.replaceWith(...u.childNodes)}for(;(r=E.nextNode())!==null&&c.length<l;){if(r.nodeType===1){if(r.hasAttributes())for(let u of r.getAttributeNames())if(u.endsWith(Ue)){let _=h[a++],$=r.getAttribute(u).split(x),k=/([.?@])?(.*)/.exec(_);c.push({type:1,index:i,name:k[2],strings:$,ctor:k[1]==="."?re:k[1]==="?"?ie:k[1]==="@"?ne:H}),r.removeAttribute(u)}else u.startsWith(x)&&(c.push({type:6,index:i}),r.removeAttribute(u));if(Ie.test(r.tagName)){let u=r.textContent.split(x),_=u.length-1;if(_>0){r.textContent=B?B.emptyScript:"";for(let $=0;$<_;$++)r.append(u[$],N()),E.nextNode(),c.push({type:2,index:++i});r.append(u[_],N())}}}else if(r.nodeType===8)if(r.data===Ke)c.push({type:2,index:i});else{let u=-1;for(;(u=r.data.indexOf(x,u+1))!==-1;)c.push({type:7,index:i}),u+=x.length-1}i++}}static createElement(s,e){let t=R.createElement("template");return t.innerHTML=s,t}};function M(n,s,e=n,t){if(s===A)return s;let r=t!==void 0?e._$Co?.[t]:e._$Cl,i=D(s)?void 0:s._$litDirective$;return r?.constructor!==i&&(r?._$AO?.(!1),i===void 0?r=void 0:(r=new i(n),r._$AT(n,e,t)),t!==void 0?(e._$Co??=[])[t]=r:e._$Cl=r),r!==void 0&&(s=M(n,r._$AS(n,s.values),r,t)),s}var se=class{constructor(s,e){this._$AV=[],this._$AN=void 0,this._$AD=s,this._$AM=e}get parentNode(){return this._$AM.parentNode}get _$AU(){return this._$AM._$AU}u(s){let{el:{content:e},parts:t}=this._$AD,r=(s?.creationScope??R).importNode(e,!0);E.currentNode=r;let i=E.nextNode(),a=0,l=0,c=t[0];for(;c!==void 0;){if(a===c.index){let p;c.type===2?p=new z(i,i.nextSibling,this,s):c.type===1?p=new c.ctor(i,c.name,c.strings,this,s):c.type===6&&(p=new ae(i,this,s)),this._$AV.push(p),c=t[++l]}a!==c?.index&&(i=E.nextNode(),a++)}return E.currentNode=R,r}p(s){let e=0;for(let t of this._$AV)t!==void 0&&(t.strings!==void 0?(t._$AI(s,t,e),e+=t.strings.length-2):t._$AI(s[e])),e++}},z=class n{get _$AU(){return this._$AM?._$AU??this._$Cv}constructor(s,e,t,r){this.type=2,this._$AH=d,this._$AN=void 0,this._$AA=s,this._$AB=e,this._$AM=t,this.options=r,this._$Cv=r?.isConnected??!0}get parentNode(){let s=this._$AA.parentNode,e=this._$AM;return e!==void 0&&s?.nodeType===11&&(s=e.parentNode),s}get startNode(){return this._$AA}get endNode(){return this._$AB}_$AI(s,e=this){s=M(this,s,e),D(s)?s===d||s==null||s===""?(this._$AH!==d&&this._$AR(),this._$AH=d):s!==this._$AH&&s!==A&&this._(s):s._$litType$!==void 0?this.$(s):s.nodeType!==void 0?this.T(s):at(s)?this.k(s):this._(s)}O(s){return this._$AA.parentNode.insertBefore(s,this._$AB)}T(s){this._$AH!==s&&(this._$AR(),this._$AH=this.O(s))}_(s){this._$AH!==d&&D(this._$AH)?this._$AA.nextSibling.data=s:this.T(R.createTextNode(s)),this._$AH=s}$(s){let{values:e,_$litType$:t}=s,r=typeof t=="number"?this._$AC(s):(t.el===void 0&&(t.el=W.createElement(Ne(t.h,t.h[0]),this.options)),t);if(this._$AH?._$AD===r)this._$AH.p(e);else{let i=new se(r,this),a=i.u(this.options);i.p(e),this.T(a),this._$AH=i}}_$AC(s){let e=Le.get(s.strings);return e===void 0&&Le.set(s.strings,e=new W(s)),e}k(s){le(this._$AH)||(this._$AH=[],this._$AR());let e=this._$AH,t,r=0;for(let i of s)r===e.length?e.push(t=new n(this.O(N()),this.O(N()),this,this.options)):t=e[r],t._$AI(i),r++;r<e.length&&(this._$AR(t&&t._$AB.nextSibling,r),e.length=r)}_$AR(s=this._$AA.nextSibling,e){for(this._$AP?.(!1,!0,e);s!==this._$AB;){let t=Pe(s).nextSibling;Pe(s).remove(),s=t}}setConnected(s){this._$AM===void 0&&(this._$Cv=s,this._$AP?.(s))}},H=class{get tagName(){return this.element.tagName}get _$AU(){return this._$AM._$AU}constructor(s,e,t,r,i){this.type=1,this._$AH=d,this._$AN=void 0,this.element=s,this.name=e,this._$AM=r,this.options=i,t.length>2||t[0]!==""||t[1]!==""?(this._$AH=Array(t.length-1).fill(new String),this.strings=t):this._$AH=d}_$AI(s,e=this,t,r){let i=this.strings,a=!1;if(i===void 0)s=M(this,s,e,0),a=!D(s)||s!==this._$AH&&s!==A,a&&(this._$AH=s);else{let l=s,c,p;for(s=i[0],c=0;c<i.length-1;c++)p=M(this,l[t+c],e,c),p===A&&(p=this._$AH[c]),a||=!D(p)||p!==this._$AH[c],p===d?s=d:s!==d&&(s+=(p??"")+i[c+1]),this._$AH[c]=p}a&&!r&&this.j(s)}j(s){s===d?this.element.removeAttribute(this.name):this.element.setAttribute(this.name,s??"")}},re=class extends H{constructor(){super(...arguments),this.type=3}j(s){this.element[this.name]=s===d?void 0:s}},ie=class extends H{constructor(){super(...arguments),this.type=4}j(s){this.element.toggleAttribute(this.name,!!s&&s!==d)}},ne=class extends H{constructor(s,e,t,r,i){super(s,e,t,r,i),this.type=5}_$AI(s,e=this){if((s=M(this,s,e,0)??d)===A)return;let t=this._$AH,r=s===d&&t!==d||s.capture!==t.capture||s.once!==t.once||s.passive!==t.passive,i=s!==d&&(t===d||r);r&&this.element.removeEventListener(this.name,this,t),i&&this.element.addEventListener(this.name,this,s),this._$AH=s}handleEvent(s){typeof this._$AH=="function"?this._$AH.call(this.options?.host??this.element,s):this._$AH.handleEvent(s)}},ae=class{constructor(s,e,t){this.element=s,this.type=6,this._$AN=void 0,this._$AM=e,this.options=t}get _$AU(){return this._$AM._$AU}_$AI(s){M(this,s)}};var lt=oe.litHtmlPolyfillSupport;lt?.(W,z),(oe.litHtmlVersions??=[]).push("3.3.3");var De=(n,s,e)=>{let t=e?.renderBefore??s,r=t._$litPart$;if(r===void 0){let i=e?.renderBefore??null;t._$litPart$=r=new z(s.insertBefore(N(),i),i,void 0,e??{})}return r._$AI(n),r};var pe=globalThis,g=class extends w{constructor(){super(...arguments),this.renderOptions={host:this},this._$Do=void 0}createRenderRoot(){let s=super.createRenderRoot();return this.renderOptions.renderBefore??=s.firstChild,s}update(s){let e=this.render();this.hasUpdated||(this.renderOptions.isConnected=this.isConnected),super.update(s),this._$Do=De(e,this.renderRoot,this.renderOptions)}connectedCallback(){super.connectedCallback(),this._$Do?.setConnected(!0)}disconnectedCallback(){super.disconnectedCallback(),this._$Do?.setConnected(!1)}render(){return A}};g._$litElement$=!0,g.finalized=!0,pe.litElementHydrateSupport?.({LitElement:g});var ct=pe.litElementPolyfillSupport;ct?.({LitElement:g});(pe.litElementVersions??=[]).push("4.2.2");var F="prepaid_power",v=class{constructor(s){this.hass=s}call(s,e={}){return this.hass.connection.sendMessagePromise({type:`${F}/${s}`,...e})}subscribeRooms(s){return this.hass.connection.subscribeMessage(s,{type:`${F}/rooms/subscribe`})}},he,We="";function dt(n){return(!he||We!==n.language)&&(We=n.language,he=n.callWS({type:"frontend/get_translations",language:n.language,category:"exceptions",integration:[F]}).then(s=>s.resources).catch(()=>({}))),he}async function m(n,s){let e=s;if(e.translation_key){let r=(await dt(n))[`component.${F}.exceptions.${e.translation_key}.message`];if(r)return J(r,e.translation_placeholders)}return e.message??String(s)}var pt={title:"Prepaid Power",rooms:"Rooms",search:"Search rooms or tenants",room:"Room",place:"Floor / area",tenant:"Tenant",balance:"Balance",supply:"Supply",days_left:"Days left",last_reading:"Last reading",alerts:"Alerts",vacant:"Vacant",no_group:"No area",back:"Rooms",summary:"Summary",price:"Price now",reading:"Meter reading",energy_cycle:"Energy this cycle",account:"Account",billed_to:"This room's meter bills to {name}'s account: its balance, top-ups, move-in and move-out, and statements are there.",open_payer:"Open {name}",account_meters:"One balance pays for these meters",pays_for:"pays for {n} meters",cost_cycle:"Cost this cycle",usage:"Usage",days_30:"30 days",days_90:"90 days",ledger:"Ledger",statements:"Statements",view:"View",print:"Print",download:"Download",newer:"Newer",older:"Older",when:"When",kind:"Kind",amount:"Amount",details:"Details",top_up:"Top up",reverse_top_up:"Undo top-up",refund:"Refund",adjust:"Adjust",move_in:"Move in",move_out:"Move out",set_tariff:"Set tariff",set_supply:"Supply",preset_vacant_energy:"Preset vacant energy",confirm:"Confirm",cancel:"Cancel",close:"Close",method:"Method",reference:"Reference",note:"Note",reason:"Reason",record_debt:"Record what goes below zero as debt",new_balance:"New balance",recovered:"Emergency credit recovered",existing:"This reference is already paid: the original payment",receipt:"Receipt",pick_top_up:"Top-up to undo",no_top_ups:"No top-up left to undo",opening_reading:"Opening reading (from the meter now)",first_top_up:"First top-up",pro_rata:"Allowance pro rata for this cycle",refund_owed:"Refund owed",debt:"Debt",final_charges:"Final charges",waiting_fees:"Fees waiting for the balance",debt_plan_left:"Recovery plan's debt",debt_plan:"Debt recovery plan",plan_recovered:"Recovered",plan_remaining:"Remaining",plan_terms:"{percent} % of each top-up, {fixed} per {every}, keeping {floor}",every_day:"day",every_week:"week",statement:"Statement",kind_flat:"Flat",kind_tou:"Time of use",kind_tiered:"Tiered",kind_entity:"Price from an entity",price_entity:"Price sensor (price per kWh)",no_price_entities:"No sensor with a unit like {currency}/kWh",min_price:"Lowest price",max_price:"Highest price (also charged while the sensor has no price)",sampled:"sensor now",no_price_now:"the sensor has no price now: the highest price applies",periods:"Periods and prices",period:"Period",weekday:"Weekdays",weekend:"Weekends",same_weekend:"Weekends as weekdays",split:"Split",remove:"Remove",add_period:"Add period",add_block:"Add block",up_to:"Up to kWh (empty: the rest)",effective_from:"Effective from (empty: now)",price_now:"Price now",price_evening:"Price at 19:00",state:"State",auto:"Automatic",keep_on:"Keep on",off:"Off",grace_hours:"Grace (hours)",grant_grace:"Grant grace",kwh:"kWh",loading:"Loading\u2026",relay_on:"Relay on",relay_off:"Relay off",alert_relay_fault:"Relay fault",alert_meter_offline:"Meter offline",alert_suspect_reading:"Suspect reading",alert_debt:"Debt",ago_s:"{n} s ago",ago_m:"{n} min ago",ago_h:"{n} h ago",never:"never",method_cash:"Cash",method_transfer:"Transfer",method_card:"Card",method_app:"App",method_other:"Other",entry_top_up:"Top-up",entry_reversal:"Undone top-up",entry_refund:"Refund",entry_charge:"Energy",entry_allowance:"Allowance",entry_fee:"Fee",entry_adjustment:"Adjustment",entry_settlement:"Settlement",undone:"undone",not_admin:"Only the landlord (an administrator) can use the console.",payments:"Payments",from_day:"From",to_day:"To (included)",show:"Show",download_csv:"Download CSV",count:"Count",paid:"Paid",undone_total:"Undone",net:"Net",total:"Total",report:"Reports",dashboards:"Dashboards",income:"Income",charged:"Charged",outstanding_debt:"Outstanding debt",former_debt:"Owed by former tenants",cycle:"Cycle",rooms_per_state:"Rooms per supply state"},ht={title:"\u9884\u4ED8\u8D39\u7535",rooms:"\u623F\u95F4",search:"\u641C\u7D22\u623F\u95F4\u6216\u79DF\u6237",room:"\u623F\u95F4",place:"\u697C\u5C42 / \u533A\u57DF",tenant:"\u79DF\u6237",balance:"\u4F59\u989D",supply:"\u4F9B\u7535",days_left:"\u53EF\u7528\u5929\u6570",last_reading:"\u6700\u8FD1\u8BFB\u6570",alerts:"\u63D0\u9192",vacant:"\u7A7A\u7F6E",no_group:"\u672A\u5206\u533A",back:"\u623F\u95F4",summary:"\u6982\u8981",price:"\u5F53\u524D\u7535\u4EF7",reading:"\u7535\u8868\u8BFB\u6570",energy_cycle:"\u672C\u8D26\u671F\u7528\u7535",account:"\u8D26\u6237",billed_to:"\u672C\u623F\u95F4\u7684\u7535\u8868\u8BA1\u5165 {name} \u7684\u8D26\u6237\uFF1A\u4F59\u989D\u3001\u5145\u503C\u3001\u5165\u4F4F\u9000\u623F\u548C\u8D26\u5355\u90FD\u5728\u90A3\u91CC\u3002",open_payer:"\u6253\u5F00 {name}",account_meters:"\u540C\u4E00\u4F59\u989D\u652F\u4ED8\u4EE5\u4E0B\u7535\u8868",pays_for:"\u652F\u4ED8 {n} \u4E2A\u7535\u8868",cost_cycle:"\u672C\u8D26\u671F\u7535\u8D39",usage:"\u7528\u7535",days_30:"30 \u5929",days_90:"90 \u5929",ledger:"\u8D26\u76EE",statements:"\u8D26\u5355",view:"\u67E5\u770B",print:"\u6253\u5370",download:"\u4E0B\u8F7D",newer:"\u8F83\u65B0",older:"\u8F83\u65E9",when:"\u65F6\u95F4",kind:"\u7C7B\u578B",amount:"\u91D1\u989D",details:"\u660E\u7EC6",top_up:"\u5145\u503C",reverse_top_up:"\u64A4\u9500\u5145\u503C",refund:"\u9000\u6B3E",adjust:"\u8C03\u8D26",move_in:"\u5165\u4F4F",move_out:"\u9000\u79DF",set_tariff:"\u8BBE\u7F6E\u7535\u4EF7",set_supply:"\u4F9B\u7535",preset_vacant_energy:"\u7A7A\u7F6E\u9884\u7F6E\u7535\u91CF",confirm:"\u786E\u8BA4",cancel:"\u53D6\u6D88",close:"\u5173\u95ED",method:"\u65B9\u5F0F",reference:"\u6D41\u6C34\u53F7",note:"\u5907\u6CE8",reason:"\u539F\u56E0",record_debt:"\u4F4E\u4E8E\u96F6\u7684\u90E8\u5206\u8BB0\u4E3A\u6B20\u6B3E",new_balance:"\u5145\u503C\u540E\u4F59\u989D",recovered:"\u6536\u56DE\u7684\u5E94\u6025\u989D\u5EA6",existing:"\u8BE5\u6D41\u6C34\u53F7\u5DF2\u5165\u8D26\uFF1A\u539F\u5145\u503C\u8BB0\u5F55",receipt:"\u6536\u636E",pick_top_up:"\u8981\u64A4\u9500\u7684\u5145\u503C",no_top_ups:"\u6CA1\u6709\u53EF\u64A4\u9500\u7684\u5145\u503C",opening_reading:"\u8D77\u59CB\u8BFB\u6570\uFF08\u7535\u8868\u5F53\u524D\u503C\uFF09",first_top_up:"\u9996\u6B21\u5145\u503C",pro_rata:"\u672C\u8D26\u671F\u514D\u8D39\u7535\u91CF\u6309\u6BD4\u4F8B",refund_owed:"\u5E94\u9000\u91D1\u989D",debt:"\u6B20\u6B3E",final_charges:"\u6700\u7EC8\u7535\u8D39",waiting_fees:"\u5F85\u4F59\u989D\u6263\u9664\u7684\u8D39\u7528",debt_plan_left:"\u8FD8\u6B3E\u8BA1\u5212\u6B20\u6B3E",debt_plan:"\u6B20\u6B3E\u8FD8\u6B3E\u8BA1\u5212",plan_recovered:"\u5DF2\u6536\u56DE",plan_remaining:"\u5269\u4F59",plan_terms:"\u6BCF\u6B21\u5145\u503C\u7684 {percent}%,\u6BCF{every} {fixed},\u4FDD\u7559 {floor}",every_day:"\u5929",every_week:"\u5468",statement:"\u8D26\u5355",kind_flat:"\u5355\u4E00\u7535\u4EF7",kind_tou:"\u5206\u65F6\u7535\u4EF7",kind_tiered:"\u9636\u68AF\u7535\u4EF7",kind_entity:"\u53D6\u81EA\u5B9E\u4F53\u7684\u7535\u4EF7",price_entity:"\u7535\u4EF7\u4F20\u611F\u5668\uFF08\u6BCF kWh \u4EF7\u683C\uFF09",no_price_entities:"\u6CA1\u6709\u5355\u4F4D\u7C7B\u4F3C {currency}/kWh \u7684\u4F20\u611F\u5668",min_price:"\u6700\u4F4E\u4EF7",max_price:"\u6700\u9AD8\u4EF7\uFF08\u4F20\u611F\u5668\u6CA1\u6709\u7535\u4EF7\u65F6\u4E5F\u6309\u6B64\u8BA1\u8D39\uFF09",sampled:"\u4F20\u611F\u5668\u5F53\u524D\u503C",no_price_now:"\u4F20\u611F\u5668\u73B0\u5728\u6CA1\u6709\u7535\u4EF7\uFF1A\u6309\u6700\u9AD8\u4EF7\u8BA1\u8D39",periods:"\u65F6\u6BB5\u4E0E\u4EF7\u683C",period:"\u65F6\u6BB5",weekday:"\u5DE5\u4F5C\u65E5",weekend:"\u5468\u672B",same_weekend:"\u5468\u672B\u540C\u5DE5\u4F5C\u65E5",split:"\u62C6\u5206",remove:"\u5220\u9664",add_period:"\u6DFB\u52A0\u65F6\u6BB5",add_block:"\u6DFB\u52A0\u9636\u68AF",up_to:"\u81F3 kWh\uFF08\u7559\u7A7A\uFF1A\u5176\u4F59\uFF09",effective_from:"\u751F\u6548\u65F6\u95F4\uFF08\u7559\u7A7A\uFF1A\u73B0\u5728\uFF09",price_now:"\u5F53\u524D\u7535\u4EF7",price_evening:"19:00 \u7535\u4EF7",state:"\u72B6\u6001",auto:"\u81EA\u52A8",keep_on:"\u4FDD\u7535",off:"\u65AD\u7535",grace_hours:"\u5BBD\u9650\uFF08\u5C0F\u65F6\uFF09",grant_grace:"\u7ED9\u4E88\u5BBD\u9650",kwh:"\u5343\u74E6\u65F6",loading:"\u52A0\u8F7D\u4E2D\u2026",relay_on:"\u7EE7\u7535\u5668\u5408\u95F8",relay_off:"\u7EE7\u7535\u5668\u65AD\u5F00",alert_relay_fault:"\u7EE7\u7535\u5668\u6545\u969C",alert_meter_offline:"\u7535\u8868\u79BB\u7EBF",alert_suspect_reading:"\u53EF\u7591\u8BFB\u6570",alert_debt:"\u6B20\u8D39",ago_s:"{n} \u79D2\u524D",ago_m:"{n} \u5206\u949F\u524D",ago_h:"{n} \u5C0F\u65F6\u524D",never:"\u65E0",method_cash:"\u73B0\u91D1",method_transfer:"\u8F6C\u8D26",method_card:"\u5237\u5361",method_app:"\u5E94\u7528",method_other:"\u5176\u4ED6",entry_top_up:"\u5145\u503C",entry_reversal:"\u64A4\u9500\u5145\u503C",entry_refund:"\u9000\u6B3E",entry_charge:"\u7535\u8D39",entry_allowance:"\u514D\u8D39\u7535\u91CF",entry_fee:"\u8D39\u7528",entry_adjustment:"\u8C03\u8D26",entry_settlement:"\u7ED3\u7B97",undone:"\u5DF2\u64A4\u9500",not_admin:"\u53EA\u6709\u623F\u4E1C\uFF08\u7BA1\u7406\u5458\uFF09\u53EF\u4EE5\u4F7F\u7528\u63A7\u5236\u53F0\u3002",payments:"\u6536\u6B3E",from_day:"\u4ECE",to_day:"\u5230\uFF08\u542B\uFF09",show:"\u67E5\u8BE2",download_csv:"\u4E0B\u8F7D CSV",count:"\u7B14\u6570",paid:"\u6536\u6B3E",undone_total:"\u5DF2\u64A4\u9500",net:"\u51C0\u989D",total:"\u5408\u8BA1",report:"\u62A5\u8868",dashboards:"\u4EEA\u8868\u76D8",income:"\u6536\u5165",charged:"\u7535\u8D39",outstanding_debt:"\u672A\u7ED3\u6B20\u6B3E",former_debt:"\u524D\u79DF\u6237\u6B20\u6B3E",cycle:"\u8D26\u671F",rooms_per_state:"\u5404\u4F9B\u7535\u72B6\u6001\u623F\u95F4\u6570"},ut=b(pt,ht);function P(n){return(s,e)=>ut(n,s,e)}var ze=["cash","transfer","card","app","other"];var y=f`
  input,
  select,
  button {
    font: inherit;
    color: var(--primary-text-color);
    background: var(--card-background-color, #fff);
    border: 1px solid var(--divider-color, #ccc);
    border-radius: 6px;
    padding: 6px 8px;
  }
  button {
    cursor: pointer;
  }
`,Q=f`
  table {
    width: 100%;
    border-collapse: collapse;
    font-size: 14px;
  }
  th,
  td {
    text-align: left;
    padding: 6px 8px;
    border-bottom: 1px solid var(--divider-color, #e0e0e0);
    white-space: nowrap;
  }
  .num {
    text-align: right;
    font-variant-numeric: tabular-nums;
  }
  .facts {
    display: grid;
    grid-template-columns: repeat(auto-fill, minmax(170px, 1fr));
    gap: 8px;
  }
  .facts span {
    display: block;
    font-size: 12px;
    color: var(--secondary-text-color);
  }
`;var je=14,qe=1440,Ve=["#ef5350","#ffa726","#66bb6a","#42a5f5","#ab47bc","#8d6e63"];function T(n){let[s,e]=n.split(":").map(Number);return s*60+e}function Y(n){return`${String(Math.floor(n/60)).padStart(2,"0")}:${String(n%60).padStart(2,"0")}`}var ue=class extends g{constructor(){super(...arguments);this.intervals=[];this.periods=[];this.label=""}static{this.properties={intervals:{attribute:!1},periods:{attribute:!1},t:{attribute:!1},label:{}}}change(e){this.intervals=e,this.dispatchEvent(new CustomEvent("intervals-changed",{detail:e}))}cycle(e){let t=this.periods.indexOf(this.intervals[e].period),r=this.periods[(t+1)%this.periods.length];this.change(this.intervals.map((i,a)=>a===e?{...i,period:r}:i))}setEnd(e,t){let r=T(t),i=T(this.intervals[e].start),a=T(this.intervals[e+1].end);if(!(r>i&&r<a)){this.requestUpdate();return}this.change(this.intervals.map((l,c)=>c===e?{...l,end:Y(r)}:c===e+1?{...l,start:Y(r)}:l))}split(e){if(this.intervals.length>=je)return;let t=this.intervals[e],r=T(t.start),i=t.end==="24:00"?qe:T(t.end),a=Math.round((r+i)/2/30)*30;if(a<=r||a>=i)return;let l=[...this.intervals];l.splice(e,1,{...t,end:Y(a)},{...t,start:Y(a)}),this.change(l)}removeAt(e){if(this.intervals.length<=1)return;let t=[...this.intervals],[r]=t.splice(e,1);e===0?t[0]={...t[0],start:"00:00"}:t[e-1]={...t[e-1],end:r.end},this.change(t)}render(){let e=this.t;return o`
      <div class="label">${this.label}</div>
      <div class="bar" role="group" aria-label=${this.label}>
        ${this.intervals.map((t,r)=>{let i=T(t.start),a=t.end==="24:00"?qe:T(t.end),l=Ve[Math.max(this.periods.indexOf(t.period),0)%Ve.length];return o`<button
            class="stretch"
            data-index=${r}
            style="flex: ${a-i}; background: ${l}"
            title="${t.start}–${t.end} ${t.period}"
            @click=${()=>this.cycle(r)}
          >
            ${t.period}
          </button>`})}
      </div>
      <div class="hours"><span>00</span><span>06</span><span>12</span><span>18</span><span>24</span></div>
      ${this.intervals.map((t,r)=>o`<div class="row" data-index=${r}>
          <span class="from">${t.start}</span>–
          ${r===this.intervals.length-1?o`<span class="to">24:00</span>`:o`<input
                class="to"
                type="time"
                step="900"
                .value=${t.end}
                @change=${i=>this.setEnd(r,i.target.value)}
              />`}
          <select
            class="period"
            @change=${i=>this.change(this.intervals.map((a,l)=>l===r?{...a,period:i.target.value}:a))}
          >
            ${this.periods.map(i=>o`<option value=${i} ?selected=${i===t.period}>${i}</option>`)}
          </select>
          <button class="split" ?disabled=${this.intervals.length>=je} @click=${()=>this.split(r)}>
            ${e("split")}
          </button>
          <button class="remove" ?disabled=${this.intervals.length<=1} @click=${()=>this.removeAt(r)}>
            ${e("remove")}
          </button>
        </div>`)}
    `}static{this.styles=[y,f`
    :host {
      display: block;
      margin: 8px 0;
    }
    .label {
      font-weight: 500;
      margin-bottom: 4px;
    }
    .bar {
      display: flex;
      height: 32px;
      border-radius: 6px;
      overflow: hidden;
      border: 1px solid var(--divider-color, #ccc);
    }
    .stretch {
      border: none;
      color: #fff;
      font-size: 11px;
      overflow: hidden;
      white-space: nowrap;
      cursor: pointer;
      min-width: 0;
      padding: 0;
    }
    .hours {
      display: flex;
      justify-content: space-between;
      font-size: 11px;
      color: var(--secondary-text-color);
    }
    .row {
      display: flex;
      align-items: center;
      gap: 6px;
      margin: 4px 0;
      flex-wrap: wrap;
    }
  `]}};customElements.get("prepaid-power-tou-editor")||customElements.define("prepaid-power-tou-editor",ue);var Fe=["top_up","reverse_top_up","refund","adjust","move_in","move_out","set_tariff","set_supply","preset_vacant_energy"],Be=[{start:"00:00",end:"08:00",period:"valley"},{start:"08:00",end:"19:00",period:"flat"},{start:"19:00",end:"23:00",period:"peak"},{start:"23:00",end:"24:00",period:"valley"}],me=class extends g{constructor(){super(...arguments);this.operation="top_up";this.fields={};this.error="";this.busy=!1;this.topUpPreview=null;this.moveOutPreview=null;this.pricePreview=null;this.done=null;this.tariffKind="flat";this.prices=[["valley","0.3"],["flat","0.6"],["peak","1.2"]];this.weekday=Be;this.weekend=Be;this.sameWeekend=!0;this.blocks=[["50","0.5"],["","0.8"]]}static{this.properties={hass:{attribute:!1},page:{attribute:!1},operation:{},fields:{state:!0},error:{state:!0},busy:{state:!0},topUpPreview:{state:!0},moveOutPreview:{state:!0},pricePreview:{state:!0},done:{state:!0},tariffKind:{state:!0},prices:{state:!0},weekday:{state:!0},weekend:{state:!0},sameWeekend:{state:!0},blocks:{state:!0}}}get t(){return P(this.hass.language)}get console(){return new v(this.hass)}get device(){return this.page.room.device_id}firstUpdated(){this.renderRoot.querySelector("dialog").showModal(),this.fields=this.operation==="top_up"||this.operation==="move_in"?{method:"cash"}:{},this.operation==="set_supply"&&(this.fields={state:"auto"}),this.operation==="move_out"&&this.previewMoveOut(),this.operation==="set_tariff"&&this.startTariff()}startTariff(){let e=this.page.tariff;e?.kind==="tou"?(this.tariffKind="tou",this.prices=Object.entries(e.prices),this.weekday=e.weekday,this.weekend=e.weekend??e.weekday,this.sameWeekend=!e.weekend):e?.kind==="tiered"?(this.tariffKind="tiered",this.blocks=e.blocks.map(t=>[t.up_to_kwh??"",t.price])):e?.kind==="entity"?(this.tariffKind="entity",this.fields={entity_id:e.entity_id,min_price:e.min_price,max_price:e.max_price}):e?.kind==="flat"&&(this.fields={price:e.price}),this.schedulePreview()}close(){this.dispatchEvent(new CustomEvent("closed",{bubbles:!0,composed:!0}))}set(e,t){this.fields={...this.fields,[e]:t},this.operation==="top_up"&&(e==="amount"||e==="reference")&&this.schedulePreview(),this.operation==="set_tariff"&&this.schedulePreview()}schedulePreview(){window.clearTimeout(this.previewTimer),this.previewTimer=window.setTimeout(()=>{this.preview()},250)}async preview(){this.error="";try{if(this.operation==="top_up"){let e=String(this.fields.amount??"").trim();this.topUpPreview=e?await this.console.call("top_up/preview",{device_id:this.device,amount:e,...this.fields.reference?{reference:this.fields.reference}:{}}):null}else this.operation==="set_tariff"&&(this.pricePreview=await this.console.call("set_tariff/preview",{device_id:this.device,tariff:this.tariff()}))}catch(e){this.topUpPreview=null,this.pricePreview=null,this.error=await m(this.hass,e)}}async previewMoveOut(){try{this.moveOutPreview=await this.console.call("move_out/preview",{device_id:this.device})}catch(e){this.error=await m(this.hass,e)}}tariff(){return this.tariffKind==="tou"?{kind:"tou",prices:Object.fromEntries(this.prices),weekday:this.weekday,...this.sameWeekend?{}:{weekend:this.weekend}}:this.tariffKind==="tiered"?{kind:"tiered",blocks:this.blocks.map(([e,t])=>({up_to_kwh:e.trim()||null,price:t}))}:this.tariffKind==="entity"?{kind:"entity",entity_id:String(this.fields.entity_id??this.priceEntities()[0]??""),min_price:String(this.fields.min_price??""),max_price:String(this.fields.max_price??"")}:{kind:"flat",price:String(this.fields.price??"")}}priceEntities(){return Object.entries(this.hass.states??{}).filter(([e,t])=>e.startsWith("sensor.")&&/\/\s*kWh$/.test(String(t.attributes.unit_of_measurement??""))).map(([e])=>e).sort()}entityFields(){let e=this.t,t=this.priceEntities(),r=String(this.fields.entity_id??t[0]??"");return o`<label
        >${e("price_entity")}
        ${t.length?o`<select name="entity_id" @change=${i=>this.set("entity_id",i.target.value)}>
              ${t.map(i=>{let a=this.hass.states?.[i],l=String(a?.attributes.friendly_name??i);return o`<option value=${i} ?selected=${i===r}>
                  ${l} (${a?.state} ${String(a?.attributes.unit_of_measurement??"")})
                </option>`})}
            </select>`:o`<p class="no-price-entities">${e("no_price_entities",{currency:this.page.room.currency})}</p>`}
      </label>
      ${this.input("min_price","min_price","decimal")} ${this.input("max_price","max_price","decimal")}`}data(){let e=this.fields,t=r=>typeof e[r]=="string"&&e[r].trim()?{[r]:e[r].trim()}:{};switch(this.operation){case"top_up":return{amount:e.amount??"",method:e.method,...t("reference"),...t("note")};case"reverse_top_up":return{entry_id:Number(e.entry_id??0),...t("reason")};case"refund":return{amount:e.amount??"",...t("reason")};case"adjust":return{amount:e.amount??"",reason:e.reason??"",record_debt:!!e.record_debt};case"move_in":return{tenant:e.tenant??"",method:e.method,...t("first_top_up"),...t("reference"),...e.allowance_pro_rata!==void 0?{allowance_pro_rata:!!e.allowance_pro_rata}:{}};case"move_out":return{};case"set_tariff":return{tariff:this.tariff(),...e.effective_from?{effective_from:e.effective_from}:{}};case"set_supply":return{state:e.state,...t("reason")};case"preset_vacant_energy":return{kwh:e.kwh??""}}}async confirm(){this.busy=!0,this.error="";try{let e=await this.console.call(this.operation,{device_id:this.device,...this.data()});this.dispatchEvent(new CustomEvent("operated",{detail:e,bubbles:!0,composed:!0})),this.operation==="top_up"||this.operation==="move_out"?this.done=e.result??{}:this.close()}catch(e){this.error=await m(this.hass,e)}finally{this.busy=!1}}async grace(){this.busy=!0,this.error="";try{let e=await this.console.call("grant_grace",{device_id:this.device,duration:{hours:Number(this.fields.grace_hours??0)}});this.dispatchEvent(new CustomEvent("operated",{detail:e,bubbles:!0,composed:!0})),this.close()}catch(e){this.error=await m(this.hass,e)}finally{this.busy=!1}}input(e,t,r="text",i={}){return o`<label
      >${this.t(t)}
      <input
        name=${e}
        type=${r}
        inputmode=${r==="decimal"?"decimal":d}
        ?readonly=${i.readonly}
        .value=${i.value??String(this.fields[e]??"")}
        @input=${a=>this.set(e,a.target.value)}
      />
    </label>`}checkbox(e,t){return o`<label class="check"
      ><input
        name=${e}
        type="checkbox"
        .checked=${!!this.fields[e]}
        @change=${r=>this.set(e,r.target.checked)}
      />${this.t(t)}</label
    >`}methods(){let e=this.t;return o`<label
      >${e("method")}
      <select name="method" @change=${t=>this.set("method",t.target.value)}>
        ${ze.map(t=>o`<option value=${t} ?selected=${this.fields.method===t}>${e(`method_${t}`)}</option>`)}
      </select>
    </label>`}money(e){return`${e} ${this.page.room.currency}`}body(){let e=this.t,t=this.page.room;switch(this.operation){case"top_up":{let r=this.topUpPreview;return o`${this.input("amount","amount","decimal")} ${this.methods()}
          ${this.input("reference","reference")} ${this.input("note","note")}
          ${r?o`<div class="preview">
                ${r.existing?o`<div class="existing">
                      ${e("existing")}: #${r.existing.entry_id} ${this.money(r.existing.amount)}
                      ${r.existing.at.slice(0,16).replace("T"," ")}
                    </div>`:d}
                <div>${e("new_balance")}: <b class="new-balance">${this.money(r.new_balance)}</b></div>
                ${r.emergency_credit_recovered!=="0.00"&&!r.existing?o`<div>${e("recovered")}: ${this.money(r.emergency_credit_recovered)}</div>`:d}
              </div>`:d}`}case"reverse_top_up":{let r=this.page.ledger.entries.filter(i=>i.kind==="top_up"&&!i.reversed);return r.length?o`<fieldset>
                <legend>${e("pick_top_up")}</legend>
                ${r.map(i=>o`<label class="check"
                    ><input
                      type="radio"
                      name="entry_id"
                      value=${i.entry_id}
                      @change=${()=>this.set("entry_id",String(i.entry_id))}
                    />#${i.entry_id} ${this.money(i.amount)} ${i.at.slice(0,16).replace("T"," ")}
                    ${i.reference??""}</label
                  >`)}
              </fieldset>
              ${this.input("reason","reason")}`:o`<p>${e("no_top_ups")}</p>`}case"refund":return o`${this.input("amount","amount","decimal")} ${this.input("reason","reason")}`;case"adjust":return o`${this.input("amount","amount","decimal")} ${this.input("reason","reason")}
        ${this.checkbox("record_debt","record_debt")}`;case"move_in":return o`${this.input("tenant","tenant")}
        ${this.input("opening_reading","opening_reading","text",{readonly:!0,value:t.reading??""})}
        ${this.input("first_top_up","first_top_up","decimal")} ${this.methods()}
        ${this.input("reference","reference")} ${this.checkbox("allowance_pro_rata","pro_rata")}`;case"move_out":{let r=this.moveOutPreview;if(!r)return o`<p>${this.error?"":e("loading")}</p>`;let i=r.statement_data;return o`<div class="preview">
          <div>${e("tenant")}: ${r.tenant}</div>
          <div>${e("balance")}: <b>${this.money(r.balance)}</b></div>
          ${["final_charges","waiting_fees","debt_plan_left"].map(a=>{let l=r[a==="debt_plan_left"?"debt_plan":a];return l!=="0.00"?o`<div class=${a}>${e(a)}: ${this.money(l)}</div>`:d})}
          <div>${e("refund_owed")}: <b class="refund-owed">${this.money(r.refund_owed)}</b></div>
          <div>${e("debt")}: <b class="debt">${this.money(r.debt)}</b></div>
          <div>${e("statement")} ${i.cycle}: ${i.energy_kwh} kWh, ${this.money(i.energy_cost)}</div>
        </div>`}case"set_tariff":return this.tariffBody();case"set_supply":return o`<label
            >${e("state")}
            <select name="state" @change=${r=>this.set("state",r.target.value)}>
              <option value="auto" ?selected=${this.fields.state==="auto"}>${e("auto")}</option>
              <option value="on" ?selected=${this.fields.state==="on"}>${e("keep_on")}</option>
              <option value="off" ?selected=${this.fields.state==="off"}>${e("off")}</option>
            </select>
          </label>
          ${this.input("reason","reason")}
          <hr />
          ${this.input("grace_hours","grace_hours","decimal")}
          <button class="grace" ?disabled=${this.busy} @click=${()=>{this.grace()}}>${e("grant_grace")}</button>`;case"preset_vacant_energy":return o`${this.input("kwh","kwh","decimal")}`}}tariffBody(){let e=this.t,t=this.prices.map(([i])=>i),r=["flat","tou","tiered","entity"];return o`<label
        >${e("kind")}
        <select
          name="kind"
          @change=${i=>{this.tariffKind=i.target.value,this.schedulePreview()}}
        >
          ${r.map(i=>o`<option value=${i} ?selected=${this.tariffKind===i}>${e(`kind_${i}`)}</option>`)}
        </select>
      </label>
      ${this.tariffKind==="flat"?this.input("price","price","decimal"):d}
      ${this.tariffKind==="entity"?this.entityFields():d}
      ${this.tariffKind==="tou"?o`<fieldset class="prices">
              <legend>${e("periods")}</legend>
              ${this.prices.map(([i,a],l)=>o`<div class="pair">
                  <input
                    class="period-name"
                    .value=${i}
                    @change=${c=>this.renamePeriod(l,c.target.value)}
                  />
                  <input
                    class="period-price"
                    inputmode="decimal"
                    .value=${a}
                    @input=${c=>{this.prices=this.prices.map((p,h)=>h===l?[p[0],c.target.value]:p),this.schedulePreview()}}
                  />
                </div>`)}
              <button
                @click=${()=>{this.prices=[...this.prices,[`p${this.prices.length+1}`,"0.5"]]}}
              >
                ${e("add_period")}
              </button>
            </fieldset>
            <prepaid-power-tou-editor
              class="weekday"
              .label=${e("weekday")}
              .t=${e}
              .periods=${t}
              .intervals=${this.weekday}
              @intervals-changed=${i=>{this.weekday=i.detail,this.schedulePreview()}}
            ></prepaid-power-tou-editor>
            <label class="check"
              ><input
                type="checkbox"
                .checked=${this.sameWeekend}
                @change=${i=>{this.sameWeekend=i.target.checked,this.schedulePreview()}}
              />${e("same_weekend")}</label
            >
            ${this.sameWeekend?d:o`<prepaid-power-tou-editor
                  class="weekend"
                  .label=${e("weekend")}
                  .t=${e}
                  .periods=${t}
                  .intervals=${this.weekend}
                  @intervals-changed=${i=>{this.weekend=i.detail,this.schedulePreview()}}
                ></prepaid-power-tou-editor>`}`:d}
      ${this.tariffKind==="tiered"?o`<fieldset>
            <legend>${e("kind_tiered")}</legend>
            ${this.blocks.map(([i,a],l)=>o`<div class="pair">
                <input
                  placeholder=${e("up_to")}
                  .value=${i}
                  @input=${c=>{this.blocks=this.blocks.map((p,h)=>h===l?[c.target.value,p[1]]:p),this.schedulePreview()}}
                />
                <input
                  inputmode="decimal"
                  .value=${a}
                  @input=${c=>{this.blocks=this.blocks.map((p,h)=>h===l?[p[0],c.target.value]:p),this.schedulePreview()}}
                />
              </div>`)}
            <button @click=${()=>this.blocks=[...this.blocks,["","1"]]}>${e("add_block")}</button>
          </fieldset>`:d}
      ${this.input("effective_from","effective_from","datetime-local")}
      ${this.pricePreview&&this.tariffKind==="entity"?o`<div class="preview">
            <div class="price-now">
              ${e("price_now")}: ${this.pricePreview.now.price}
              (${this.pricePreview.sampled!=null?`${e("sampled")} ${this.pricePreview.sampled}`:e("no_price_now")})
            </div>
          </div>`:this.pricePreview?o`<div class="preview">
              <div class="price-now">
                ${e("price_now")}: ${this.pricePreview.now.price} (${this.pricePreview.now.period})
              </div>
              <div class="price-evening">
                ${e("price_evening")}: ${this.pricePreview.evening.price} (${this.pricePreview.evening.period})
              </div>
            </div>`:d}`}renamePeriod(e,t){let r=this.prices[e][0],i=a=>a.map(l=>l.period===r?{...l,period:t}:l);this.prices=this.prices.map((a,l)=>l===e?[t,a[1]]:a),this.weekday=i(this.weekday),this.weekend=i(this.weekend),this.schedulePreview()}receipt(){let e=this.t,t=this.done??{};return this.operation==="move_out"?o`<pre class="statement">${String(t.statement??"")}</pre>`:o`<div class="receipt">
      <h3>${e("receipt")}</h3>
      <div>${this.page.room.name} · ${this.page.room.tenant??""}</div>
      <div>#${String(t.entry_id)} · ${String(t.at??"").slice(0,16).replace("T"," ")}</div>
      <div>${e("amount")}: <b>${this.money(String(t.amount))}</b> · ${e(`method_${String(t.method??"cash")}`)}</div>
      ${t.why&&t.why!=="top-up"?o`<div class="note">${e("note")}: ${String(t.why)}</div>`:d}
      ${t.created===!1?o`<div class="existing">${e("existing")}</div>`:d}
      ${t.emergency_credit_recovered&&t.emergency_credit_recovered!=="0.00"?o`<div>${e("recovered")}: ${this.money(String(t.emergency_credit_recovered))}</div>`:d}
    </div>`}render(){let e=this.t;return o`<dialog @cancel=${()=>this.close()}>
      <h2>${e(this.operation)} · ${this.page.room.name}</h2>
      <div class="content">${this.done?this.receipt():this.body()}</div>
      ${this.error?o`<div class="error" role="alert">${this.error}</div>`:d}
      <div class="actions">
        ${this.done?o`<button @click=${()=>window.print()}>${e("print")}</button>
              <button class="close" @click=${()=>this.close()}>${e("close")}</button>`:o`<button class="cancel" @click=${()=>this.close()}>${e("cancel")}</button>
              <button class="confirm primary" ?disabled=${this.busy} @click=${()=>{this.confirm()}}>
                ${e("confirm")}
              </button>`}
      </div>
    </dialog>`}static{this.styles=[y,f`
    dialog {
      border: none;
      border-radius: var(--ha-card-border-radius, 12px);
      background: var(--card-background-color, #fff);
      color: var(--primary-text-color);
      width: min(560px, calc(100vw - 24px));
      max-height: calc(100vh - 24px);
      padding: 16px;
      box-sizing: border-box;
    }
    dialog::backdrop {
      background: rgba(0, 0, 0, 0.45);
    }
    h2 {
      margin: 0 0 12px;
      font-size: 1.2em;
    }
    label {
      display: flex;
      flex-direction: column;
      gap: 2px;
      margin: 8px 0;
      color: var(--secondary-text-color);
      font-size: 0.9em;
    }
    label.check {
      flex-direction: row;
      align-items: center;
      gap: 6px;
      color: var(--primary-text-color);
    }
    input[readonly] {
      background: var(--secondary-background-color, #f5f5f5);
    }
    fieldset {
      border: 1px solid var(--divider-color, #ccc);
      border-radius: 6px;
      margin: 8px 0;
    }
    .pair {
      display: flex;
      gap: 6px;
      margin: 4px 0;
    }
    .pair input {
      flex: 1;
      min-width: 0;
    }
    .preview,
    .receipt {
      background: var(--secondary-background-color, #f5f5f5);
      border-radius: 6px;
      padding: 8px 12px;
      margin: 8px 0;
      line-height: 1.6;
    }
    .existing {
      color: var(--warning-color, #f57c00);
    }
    .error {
      color: var(--error-color, #db4437);
      margin: 8px 0;
    }
    .actions {
      display: flex;
      justify-content: flex-end;
      gap: 8px;
      margin-top: 12px;
    }
    button.primary {
      background: var(--primary-color, #03a9f4);
      color: var(--text-primary-color, #fff);
      border-color: transparent;
    }
    pre.statement {
      white-space: pre-wrap;
      font-size: 12px;
      max-height: 50vh;
      overflow: auto;
    }
  `]}};customElements.get("prepaid-power-dialog")||customElements.define("prepaid-power-dialog",me);function Qe(n,s){let e=s.debt;if(!e||e.owed==="0.00"&&!e.plan)return d;let t=i=>`${i} ${s.room.currency}`,r=e.plan;return o`<ha-card class="debt">
    <h3>${n("debt_plan")}</h3>
    <div class="facts">
      <div><span>${n("debt")}</span><b class="owed">${t(e.owed)}</b></div>
      ${r?o`<div><span>${n("plan_recovered")}</span><b class="recovered">${t(r.recovered)}</b></div>
            <div><span>${n("plan_remaining")}</span><b class="remaining">${t(r.remaining)}</b></div>`:d}
    </div>
    ${r?o`<p class="terms">
          ${n("plan_terms",{percent:r.terms.percent,fixed:t(r.terms.fixed),every:n(r.terms.every==="week"?"every_week":"every_day"),floor:t(r.terms.floor)})}
          · ${r.since.slice(0,10)}
        </p>`:d}
  </ha-card>`}var mt={this_cycle:"This cycle",cycles_of:"Cycles starting in",month_statements:"Month-end statements",print_all:"Print all",back_report:"Back to the report",no_statements:"No tenant lived in any room in this cycle.",debt_at_end:"Debt at cycle end",debt_now:"now",statements_of:"Statements of the cycles starting in {month}: {n}"},gt={this_cycle:"\u672C\u8D26\u671F",cycles_of:"\u8D26\u671F\u5F00\u59CB\u6708\u4EFD",month_statements:"\u6708\u672B\u8D26\u5355",print_all:"\u5168\u90E8\u6253\u5370",back_report:"\u8FD4\u56DE\u62A5\u8868",no_statements:"\u672C\u8D26\u671F\u5185\u6CA1\u6709\u4EFB\u4F55\u623F\u95F4\u6709\u79DF\u6237\u3002",debt_at_end:"\u8D26\u671F\u672B\u6B20\u6B3E",debt_now:"\u5F53\u524D",statements_of:"{month} \u5F00\u59CB\u7684\u8D26\u671F\u8D26\u5355:{n} \u4EFD"};function fe(n,s){if(!s)return"\u2013";let e=`component.prepaid_power.entity.sensor.supply_state.state.${s}`,t=n.localize;return t&&t(e)||s}var ft=b(mt,gt);function vt(n){return L(n)?"zh-Hans":"en"}var ge=class extends g{constructor(){super(...arguments);this.report=null;this.month="";this.statements=null;this.error=""}static{this.properties={hass:{attribute:!1},report:{state:!0},month:{state:!0},statements:{state:!0},error:{state:!0}}}words(e,t={}){return ft(this.hass.language,e,t)}get console(){return new v(this.hass)}firstUpdated(){this.load()}async load(){this.error="";try{this.report=await this.console.call("report",this.month?{month:this.month}:{})}catch(e){this.error=await m(this.hass,e)}}async loadStatements(){this.error="";let e=this.month||this.report?.months[0];if(e)try{this.statements=await this.console.call("statements",{month:e,language:vt(this.hass.language)})}catch(t){this.error=await m(this.hass,t)}}statementsView(e){return o`<div class="toolbar">
        <button class="back" @click=${()=>this.statements=null}>← ${this.words("back_report")}</button>
        <span class="count">${this.words("statements_of",{month:e.month,n:e.statements.length})}</span>
        <button class="print" ?disabled=${!e.statements.length} @click=${()=>window.print()}>
          ${this.words("print_all")}
        </button>
      </div>
      ${e.statements.length?e.statements.map(t=>o`<section class="statement-page" data-room=${t.room_id} data-tenancy=${t.tenancy_id}>
              <h3>${t.room} · ${t.tenant} <small>${t.gateway} · ${t.cycle} – ${t.cycle_last_day}</small></h3>
              <pre class="statement">${t.text}</pre>
            </section>`):o`<p class="empty">${this.words("no_statements")}</p>`}`}reportView(e){let t=P(this.hass.language),r=i=>`${i} ${e.currency}`;return o`<div class="toolbar">
        <label
          >${this.words("cycles_of")}
          <select
            class="month"
            @change=${i=>{this.month=i.target.value,this.load()}}
          >
            <option value="" ?selected=${!this.month}>${this.words("this_cycle")}</option>
            ${e.months.map(i=>o`<option value=${i} ?selected=${this.month===i}>${i}</option>`)}
          </select>
        </label>
        <button class="month-statements" @click=${()=>{this.loadStatements()}}>
          ${this.words("month_statements")}
        </button>
      </div>
      <div class="card report">
        <div class="facts">
          <div><span>${t("income")}</span><b class="income">${r(e.income)}</b></div>
          <div><span>${t("kwh")}</span><b class="energy">${e.energy_kwh} kWh</b></div>
          <div><span>${t("charged")}</span><b>${r(e.charged)}</b></div>
          <div>
            <span>${t("outstanding_debt")} (${this.words("debt_now")})</span><b>${r(e.outstanding_debt)}</b>
          </div>
          <div><span>${t("former_debt")}</span><b>${r(e.debt_owed_after_move_out)}</b></div>
        </div>
        <h3>${t("rooms_per_state")}</h3>
        <div class="facts states">
          ${Object.entries(e.supply_states).map(([i,a])=>o`<div class="state ${i}"><span>${fe(this.hass,i)}</span><b>${a}</b></div>`)}
        </div>
      </div>
      <div class="card">
        <table class="report-rooms">
          <thead>
            <tr>
              <th>${t("room")}</th>
              <th>${t("cycle")}</th>
              <th class="num">${t("income")}</th>
              <th class="num">${t("kwh")}</th>
              <th class="num">${t("charged")}</th>
              <th class="num">${this.words("debt_at_end")}</th>
            </tr>
          </thead>
          <tbody>
            ${e.rooms.map(i=>o`<tr>
                <td>${i.room}</td>
                <td>${i.cycle}</td>
                <td class="num">${i.income}</td>
                <td class="num">${i.energy_kwh}</td>
                <td class="num">${i.charged}</td>
                <td class="num">${i.debt}</td>
              </tr>`)}
          </tbody>
        </table>
      </div>`}render(){return this.hass?o`${this.error?o`<div class="error" role="alert">${this.error}</div>`:d}
    ${this.statements?this.statementsView(this.statements):this.report?this.reportView(this.report):o`<p>${P(this.hass.language)("loading")}</p>`}`:d}static{this.styles=[y,Q,f`
      :host {
        display: block;
      }
      .toolbar {
        display: flex;
        flex-wrap: wrap;
        gap: 8px;
        align-items: center;
        margin-bottom: 8px;
      }
      .toolbar .count {
        flex: 1;
        color: var(--secondary-text-color);
      }
      .card,
      .statement-page {
        background: var(--card-background-color, #fff);
        border: 1px solid var(--divider-color, #e0e0e0);
        border-radius: var(--ha-card-border-radius, 12px);
        padding: 12px;
        margin-bottom: 12px;
        overflow-x: auto;
      }
      h3 small {
        font-weight: 400;
        color: var(--secondary-text-color);
      }
      pre.statement {
        white-space: pre-wrap;
        font-size: 12px;
        margin: 0;
      }
      .error {
        color: var(--error-color, #db4437);
        padding: 8px 0;
      }
      @media print {
        .toolbar,
        .error {
          display: none;
        }
        .statement-page {
          border: none;
          padding: 0;
          margin: 0;
          color: #000;
          background: #fff;
          break-after: page;
        }
        .statement-page:last-of-type {
          break-after: auto;
        }
      }
    `]}};customElements.get("prepaid-power-reports")||customElements.define("prepaid-power-reports",ge);var yt={heading:"Create dashboards",intro:"Writes two dashboards into Home Assistant: a landlord overview of every room (admins only) and a view per room for its tenant's wall display. Running it again updates them.",portal_qr:"Put each room's tenant-portal link in its QR code",portal_qr_warning:"Every Home Assistant user can read a dashboard. With this on, each room gets a NEW tenant link (its old link stops working) and that link is written into the room's view: every user of this Home Assistant could open any room's portal. Leave it off if other people have accounts here.",base_url:"Address of Home Assistant in the QR codes (optional)",create:"Create dashboards",overwrite:"Overwrite it",done:"Dashboards saved",created:"created",updated:"updated",views:"views",open:"Open"},_t={heading:"\u521B\u5EFA\u4EEA\u8868\u76D8",intro:"\u5728 Home Assistant \u4E2D\u5199\u5165\u4E24\u4E2A\u4EEA\u8868\u76D8:\u6240\u6709\u623F\u95F4\u7684\u623F\u4E1C\u603B\u89C8(\u4EC5\u7BA1\u7406\u5458)\u548C\u6BCF\u4E2A\u623F\u95F4\u7ED9\u79DF\u6237\u5899\u4E0A\u663E\u793A\u5C4F\u7684\u89C6\u56FE\u3002\u518D\u6B21\u8FD0\u884C\u4F1A\u66F4\u65B0\u5B83\u4EEC\u3002",portal_qr:"\u5728\u6BCF\u4E2A\u623F\u95F4\u7684\u4E8C\u7EF4\u7801\u4E2D\u653E\u5165\u79DF\u6237\u95E8\u6237\u94FE\u63A5",portal_qr_warning:"\u6BCF\u4E2A Home Assistant \u7528\u6237\u90FD\u80FD\u8BFB\u53D6\u4EEA\u8868\u76D8\u3002\u5F00\u542F\u540E,\u6BCF\u4E2A\u623F\u95F4\u4F1A\u5F97\u5230\u4E00\u4E2A\u65B0\u7684\u79DF\u6237\u94FE\u63A5(\u65E7\u94FE\u63A5\u5931\u6548),\u5E76\u5199\u5165\u8BE5\u623F\u95F4\u7684\u89C6\u56FE:\u672C Home Assistant \u7684\u6BCF\u4E2A\u7528\u6237\u90FD\u80FD\u6253\u5F00\u4EFB\u4F55\u623F\u95F4\u7684\u95E8\u6237\u3002\u5982\u679C\u8FD9\u91CC\u8FD8\u6709\u5176\u4ED6\u4EBA\u7684\u8D26\u6237,\u8BF7\u4FDD\u6301\u5173\u95ED\u3002",base_url:"\u4E8C\u7EF4\u7801\u4E2D Home Assistant \u7684\u5730\u5740(\u53EF\u9009)",create:"\u521B\u5EFA\u4EEA\u8868\u76D8",overwrite:"\u8986\u76D6\u5B83",done:"\u4EEA\u8868\u76D8\u5DF2\u4FDD\u5B58",created:"\u5DF2\u521B\u5EFA",updated:"\u5DF2\u66F4\u65B0",views:"\u4E2A\u89C6\u56FE",open:"\u6253\u5F00"},$t=b(yt,_t),ve=class extends g{constructor(){super(...arguments);this.portalQr=!1;this.baseUrl="";this.busy=!1;this.error="";this.mayOverwrite=!1;this.saved=null}static{this.properties={hass:{attribute:!1},portalQr:{state:!0},baseUrl:{state:!0},busy:{state:!0},error:{state:!0},mayOverwrite:{state:!0},saved:{state:!0}}}t(e){return $t(this.hass.language,e)}async create(e){this.busy=!0,this.error="",this.saved=null;let t={portal_links_in_qr:this.portalQr,overwrite:e};this.baseUrl.trim()&&(t.base_url=this.baseUrl.trim());try{let r=await new v(this.hass).call("create_dashboards",t);this.saved=r.dashboards,this.mayOverwrite=!1}catch(r){this.error=await m(this.hass,r),this.mayOverwrite=r.translation_key==="dashboard_not_ours"}finally{this.busy=!1}}render(){let e=t=>this.t(t);return o`<section class="dashboards">
      <h2>${e("heading")}</h2>
      <p>${e("intro")}</p>
      <label class="check">
        <input
          type="checkbox"
          name="portal_links_in_qr"
          .checked=${this.portalQr}
          @change=${t=>this.portalQr=t.target.checked}
        />
        ${e("portal_qr")}
      </label>
      ${this.portalQr?o`<p class="warning" role="note">${e("portal_qr_warning")}</p>`:d}
      <label
        >${e("base_url")}
        <input
          name="base_url"
          type="url"
          inputmode="url"
          placeholder="http://192.168.1.20:8123"
          .value=${this.baseUrl}
          @input=${t=>this.baseUrl=t.target.value}
        />
      </label>
      <div class="actions">
        <button class="create" ?disabled=${this.busy} @click=${()=>{this.create(!1)}}>
          ${e("create")}
        </button>
        ${this.mayOverwrite?o`<button class="overwrite" ?disabled=${this.busy} @click=${()=>{this.create(!0)}}>
              ${e("overwrite")}
            </button>`:d}
      </div>
      ${this.error?o`<div class="error" role="alert">${this.error}</div>`:d}
      ${this.saved?o`<div class="saved" role="status">
            <strong>${e("done")}</strong>
            <ul>
              ${this.saved.map(t=>o`<li>
                  <a href="/${t.url_path}" target="_top">/${t.url_path}</a> —
                  ${t.created?e("created"):e("updated")}, ${t.views} ${e("views")}
                </li>`)}
            </ul>
          </div>`:d}
    </section>`}static{this.styles=[y,f`
      .dashboards {
        max-width: 640px;
      }
      label {
        display: block;
        margin: 12px 0;
      }
      label.check input {
        width: auto;
        margin-right: 8px;
      }
      .warning {
        border-left: 4px solid var(--warning-color, #ffa600);
        padding: 8px 12px;
        background: var(--secondary-background-color);
      }
      .error {
        color: var(--error-color, #db4437);
        margin: 12px 0;
      }
      .actions button {
        margin-right: 8px;
      }
    `]}};customElements.get("prepaid-power-dashboards")||customElements.define("prepaid-power-dashboards",ve);function O(n){return`data:image/svg+xml;charset=utf-8,${encodeURIComponent(n)}`}var bt={heading:"Kiosk links",intro:"A kiosk link opens a page for a corridor tablet that shows the chosen rooms' balances and supply states, nothing else. No Home Assistant login is needed to open it.",none:"No kiosk links.",since:"since {date}",end:"End",end_confirm:"End the kiosk link \u201C{name}\u201D? The tablet's page stops working.",name:"Name (shown as the page's title)",rooms:"Rooms on the kiosk",make:"Make kiosk link",shown_once:"Shown once: open it on the tablet or copy the address now."},wt={heading:"\u67E5\u8BE2\u7EC8\u7AEF\u94FE\u63A5",intro:"\u67E5\u8BE2\u7EC8\u7AEF\u94FE\u63A5\u4E3A\u8D70\u5ECA\u5E73\u677F\u6253\u5F00\u4E00\u4E2A\u9875\u9762,\u53EA\u663E\u793A\u6240\u9009\u623F\u95F4\u7684\u4F59\u989D\u548C\u4F9B\u7535\u72B6\u6001\u3002\u6253\u5F00\u5B83\u4E0D\u9700\u8981 Home Assistant \u767B\u5F55\u3002",none:"\u6CA1\u6709\u67E5\u8BE2\u7EC8\u7AEF\u94FE\u63A5\u3002",since:"\u81EA {date} \u8D77",end:"\u505C\u7528",end_confirm:"\u505C\u7528\u67E5\u8BE2\u7EC8\u7AEF\u94FE\u63A5\u201C{name}\u201D?\u5E73\u677F\u4E0A\u7684\u9875\u9762\u5C06\u65E0\u6CD5\u6253\u5F00\u3002",name:"\u540D\u79F0(\u4F5C\u4E3A\u9875\u9762\u6807\u9898\u663E\u793A)",rooms:"\u7EC8\u7AEF\u663E\u793A\u7684\u623F\u95F4",make:"\u65B0\u5EFA\u67E5\u8BE2\u7EC8\u7AEF\u94FE\u63A5",shown_once:"\u53EA\u663E\u793A\u4E00\u6B21:\u8BF7\u73B0\u5728\u5728\u5E73\u677F\u4E0A\u6253\u5F00\u6216\u590D\u5236\u5730\u5740\u3002"},kt=b(bt,wt),ye=class extends g{constructor(){super(...arguments);this.rooms=[];this.kiosks=null;this.chosen=new Set;this.name="";this.shown=null;this.error="";this.busy=!1;this.requested=!1}static{this.properties={hass:{attribute:!1},rooms:{attribute:!1},kiosks:{state:!0},chosen:{state:!0},name:{state:!0},shown:{state:!0},error:{state:!0},busy:{state:!0}}}t(e,t={}){return kt(this.hass.language,e,t)}get console(){return new v(this.hass)}updated(){this.hass&&!this.requested&&(this.requested=!0,this.load())}async load(){try{this.kiosks=(await this.console.call("kiosk_links")).kiosks}catch(e){this.error=await m(this.hass,e)}}toggle(e,t){let r=new Set(this.chosen);t?r.add(e):r.delete(e),this.chosen=r}async make(){this.busy=!0,this.error="";try{this.shown=await this.console.call("kiosk_link/create",{device_ids:[...this.chosen],name:this.name.trim()}),this.chosen=new Set,this.name="",await this.load()}catch(e){this.error=await m(this.hass,e)}finally{this.busy=!1}}async end(e){if(window.confirm(this.t("end_confirm",{name:e.name||e.kiosk_id}))){this.busy=!0,this.error="";try{await this.console.call("kiosk_link/revoke",{kiosk_id:e.kiosk_id}),this.shown?.kiosk_id===e.kiosk_id&&(this.shown=null),await this.load()}catch(t){this.error=await m(this.hass,t)}finally{this.busy=!1}}}render(){if(!this.hass)return d;let e=[...this.rooms].sort((t,r)=>`${t.gateway} ${t.name}`.localeCompare(`${r.gateway} ${r.name}`,void 0,{numeric:!0}));return o`<section class="kiosks">
      <h2>${this.t("heading")}</h2>
      <p>${this.t("intro")}</p>
      ${this.kiosks===null?d:this.kiosks.length===0?o`<p class="no-kiosks">${this.t("none")}</p>`:o`<ul class="kiosk-list">
            ${this.kiosks.map(t=>o`<li class="kiosk" data-kiosk=${t.kiosk_id}>
                <strong>${t.name||t.kiosk_id}</strong>
                (${this.t("since",{date:t.created_at.slice(0,10)})}): ${t.rooms.join(", ")}
                <button class="end-kiosk" ?disabled=${this.busy} @click=${()=>{this.end(t)}}>
                  ${this.t("end")}
                </button>
              </li>`)}
          </ul>`}
      <label
        >${this.t("name")}
        <input
          name="kiosk_name"
          maxlength="100"
          .value=${this.name}
          @input=${t=>this.name=t.target.value}
        />
      </label>
      <fieldset>
        <legend>${this.t("rooms")}</legend>
        ${e.map(t=>o`<label class="check">
            <input
              type="checkbox"
              name="kiosk_room"
              value=${t.device_id}
              .checked=${this.chosen.has(t.device_id)}
              @change=${r=>this.toggle(t.device_id,r.target.checked)}
            />
            ${t.name}${this.rooms.some(r=>r.gateway!==t.gateway)?` \xB7 ${t.gateway}`:""}
          </label>`)}
      </fieldset>
      <button class="make-kiosk" ?disabled=${this.busy||this.chosen.size===0} @click=${()=>{this.make()}}>
        ${this.t("make")}
      </button>
      ${this.shown?o`<div class="shown" role="status">
            <img class="qr" src=${O(this.shown.qr_svg)} alt="QR" />
            <p>
              <a class="kiosk-url" href=${this.shown.url??this.shown.path} target="_blank" rel="noopener"
                >${this.shown.url??this.shown.path}</a
              >
            </p>
            <p class="once">${this.t("shown_once")}</p>
          </div>`:d}
      ${this.error?o`<div class="error" role="alert">${this.error}</div>`:d}
    </section>`}static{this.styles=[y,f`
      .kiosks {
        max-width: 640px;
        margin-top: 32px;
      }
      label {
        display: block;
        margin: 12px 0;
      }
      label.check {
        margin: 6px 0;
      }
      label.check input {
        width: auto;
        margin-right: 8px;
      }
      fieldset {
        border: 1px solid var(--divider-color, #ccc);
        border-radius: 6px;
        max-height: 320px;
        overflow-y: auto;
      }
      .kiosk-list button {
        margin-left: 8px;
      }
      .qr {
        width: 180px;
        background: #fff;
      }
      a {
        word-break: break-all;
        color: var(--primary-color);
      }
      .error {
        color: var(--error-color, #db4437);
        margin: 12px 0;
      }
    `]}};customElements.get("prepaid-power-kiosks")||customElements.define("prepaid-power-kiosks",ye);var xt={heading:"Tenant link",none:"This room has no tenant link.",since:"A tenant link exists since {date}. Its address was shown when it was made; make a new one to show it again.",make:"Make new link",make_confirm:"Make a new tenant link? The old link stops working at once.",end:"End link",end_confirm:"End this room's tenant link? The tenant's page stops working.",shown_once:"Shown once: print the card or copy the address now.",print:"Print card",reference:"Payment reference",payee:"Pay to",card_title:"Your electricity account",card_scan:"Scan with your phone to see your balance, usage and statements.",card_reference:"Put this reference on your bank transfer:"},St={heading:"\u79DF\u6237\u94FE\u63A5",none:"\u6B64\u623F\u95F4\u6CA1\u6709\u79DF\u6237\u94FE\u63A5\u3002",since:"\u79DF\u6237\u94FE\u63A5\u81EA {date} \u8D77\u6709\u6548\u3002\u5176\u5730\u5740\u53EA\u5728\u521B\u5EFA\u65F6\u663E\u793A;\u8981\u518D\u6B21\u663E\u793A\u8BF7\u65B0\u5EFA\u94FE\u63A5\u3002",make:"\u65B0\u5EFA\u94FE\u63A5",make_confirm:"\u65B0\u5EFA\u79DF\u6237\u94FE\u63A5?\u65E7\u94FE\u63A5\u4F1A\u7ACB\u5373\u5931\u6548\u3002",end:"\u505C\u7528\u94FE\u63A5",end_confirm:"\u505C\u7528\u6B64\u623F\u95F4\u7684\u79DF\u6237\u94FE\u63A5?\u79DF\u6237\u7684\u9875\u9762\u5C06\u65E0\u6CD5\u6253\u5F00\u3002",shown_once:"\u53EA\u663E\u793A\u4E00\u6B21:\u8BF7\u73B0\u5728\u6253\u5370\u5361\u7247\u6216\u590D\u5236\u5730\u5740\u3002",print:"\u6253\u5370\u5361\u7247",reference:"\u4ED8\u6B3E\u5907\u6CE8",payee:"\u6536\u6B3E\u4EBA",card_title:"\u60A8\u7684\u7535\u8D39\u8D26\u6237",card_scan:"\u7528\u624B\u673A\u626B\u7801\u67E5\u770B\u4F59\u989D\u3001\u7528\u7535\u548C\u8D26\u5355\u3002",card_reference:"\u94F6\u884C\u8F6C\u8D26\u65F6\u8BF7\u586B\u5199\u6B64\u5907\u6CE8:"},Et=b(xt,St);function C(n){return n.replace(/[&<>"']/g,s=>`&#${s.charCodeAt(0)};`)}var _e=class extends g{constructor(){super(...arguments);this.deviceId="";this.status=null;this.shown=null;this.error="";this.busy=!1;this.loadedFor=""}static{this.properties={hass:{attribute:!1},deviceId:{attribute:!1},status:{state:!0},shown:{state:!0},error:{state:!0},busy:{state:!0}}}t(e,t={}){return Et(this.hass.language,e,t)}get console(){return new v(this.hass)}updated(){this.hass&&this.deviceId&&this.deviceId!==this.loadedFor&&(this.loadedFor=this.deviceId,this.shown=null,this.load())}async load(){try{this.status=await this.console.call("portal_link",{device_id:this.deviceId})}catch(e){this.error=await m(this.hass,e)}}async run(e,t){if(window.confirm(this.t(t))){this.busy=!0,this.error="";try{let r=await this.console.call(e,{device_id:this.deviceId});this.shown="qr_svg"in r?r:null,await this.load()}catch(r){this.error=await m(this.hass,r)}finally{this.busy=!1}}}printCard(){let e=this.shown;if(!e||!this.status)return;let t=e.url??e.path,r=this.status.payment?.reference,i=window.open("","_blank","width=480,height=640");i&&(i.document.write(`<!doctype html><meta charset="utf-8"><title>${C(this.status.room)}</title>
<style>body{font-family:sans-serif;text-align:center;margin:24px}img{width:240px}p{margin:8px 0}
code{word-break:break-all;font-size:12px}</style>
<h1>${C(this.status.room)}</h1><p>${C(this.t("card_title"))}</p>
<img src="${O(e.qr_svg)}" alt=""><p>${C(this.t("card_scan"))}</p>
<p><code>${C(t)}</code></p>
${r?`<p>${C(this.t("card_reference"))} <b>${C(r)}</b></p>`:""}`),i.document.close(),i.focus(),i.print())}render(){let e=this.status;if(!e)return this.error?o`<div class="error" role="alert">${this.error}</div>`:d;let t=e.payment;return o`<ha-card class="room-link">
      <h3>${this.t("heading")}</h3>
      <p class="link-state">
        ${e.link?this.t("since",{date:e.link.created_at.slice(0,10)}):this.t("none")}
      </p>
      ${this.shown?o`<div class="shown">
            <img class="qr" src=${O(this.shown.qr_svg)} alt="QR" />
            <p><code class="url">${this.shown.url??this.shown.path}</code></p>
            <p class="once">${this.t("shown_once")}</p>
            <button class="print-card" @click=${()=>this.printCard()}>${this.t("print")}</button>
          </div>`:d}
      ${t?o`<div class="payment">
            ${t.reference?o`<p>${this.t("reference")}: <b class="reference">${t.reference}</b></p>`:d}
            ${t.payee?o`<p>${this.t("payee")}: ${t.payee} · ${t.iban}</p>`:d}
            ${t.qr_svg?o`<img class="qr epc" src=${O(t.qr_svg)} alt="EPC QR" />`:d}
          </div>`:d}
      <div class="actions">
        <button class="make-link" ?disabled=${this.busy} @click=${()=>{this.run("portal_link/rotate","make_confirm")}}>
          ${this.t("make")}
        </button>
        ${e.link?o`<button class="end-link" ?disabled=${this.busy} @click=${()=>{this.run("portal_link/revoke","end_confirm")}}>
              ${this.t("end")}
            </button>`:d}
      </div>
      ${this.error?o`<div class="error" role="alert">${this.error}</div>`:d}
    </ha-card>`}static{this.styles=[y,f`
      .room-link {
        display: block;
        padding: 12px 16px;
        margin: 12px 0;
      }
      .qr {
        width: 180px;
        background: #fff;
      }
      code {
        word-break: break-all;
      }
      .actions button {
        margin-right: 8px;
      }
      .error {
        color: var(--error-color, #db4437);
      }
    `]}};customElements.get("prepaid-power-room-link")||customElements.define("prepaid-power-room-link",_e);var Ye=20,G=["#42a5f5","#ef5350","#66bb6a","#ffa726","#ab47bc","#8d6e63"];function $e(n){return`${n.getFullYear()}-${String(n.getMonth()+1).padStart(2,"0")}-${String(n.getDate()).padStart(2,"0")}`}function Rt(){let n=new Date;return{start:$e(new Date(n.getFullYear(),n.getMonth(),1)),last:$e(n)}}function Ge(n){let[s,e,t]=n.split("-").map(Number);return $e(new Date(s,e-1,t+1))}var be=class extends g{constructor(){super(...arguments);this.narrow=!1;this.rows=new Map;this.search="";this.sortKey="place";this.sortUp=!0;this.selected=null;this.page=null;this.days=30;this.dialog=null;this.statement=null;this.error="";this.now=Date.now();this.view="rooms";this.payments=null;this.range=Rt();this.unsubscribe=null;this.skew=0;this.collators=new Map}static{this.properties={hass:{attribute:!1},narrow:{type:Boolean},panel:{attribute:!1},rows:{state:!0},search:{state:!0},sortKey:{state:!0},sortUp:{state:!0},selected:{state:!0},page:{state:!0},days:{state:!0},dialog:{state:!0},statement:{state:!0},error:{state:!0},now:{state:!0},view:{state:!0},payments:{state:!0},range:{state:!0}}}get t(){return P(this.hass.language)}get console(){return new v(this.hass)}connectedCallback(){super.connectedCallback(),this.clock=window.setInterval(()=>this.now=Date.now(),5e3)}disconnectedCallback(){super.disconnectedCallback(),window.clearInterval(this.clock),this.unsubscribe?.then(e=>e()),this.unsubscribe=null}updated(){this.hass&&!this.unsubscribe&&this.isConnected&&(this.unsubscribe=this.console.subscribeRooms(e=>{this.skew=Date.parse(e.now)-Date.now();let t=new Map(this.rows);for(let r of e.rooms)t.set(r.room_id,r);if(this.rows=t,this.page&&e.rooms.some(r=>r.device_id===this.page?.room.device_id)){let r=e.rooms.find(i=>i.device_id===this.page?.room.device_id);r&&(this.page={...this.page,room:r})}}),this.unsubscribe.catch(async e=>{this.error=await m(this.hass,e)}))}async open(e){this.selected=e,this.page=null,await this.load()}async load(){if(this.selected)try{this.page=await this.console.call("room",{device_id:this.selected,days:this.days})}catch(e){this.error=await m(this.hass,e)}}async ledgerAt(e){if(!this.page)return;let t=await this.console.call("ledger",{device_id:this.page.room.device_id,offset:Math.max(e,0),limit:Ye});this.page={...this.page,ledger:t}}async showStatement(e){if(this.page)try{let t=await this.console.call("statement",{device_id:this.page.room.device_id,cycle:e,language:L(this.hass.language)?"zh-Hans":"en"});this.statement={cycle:e,text:t.result.statement}}catch(t){this.error=await m(this.hass,t)}}download(){if(!this.statement||!this.page)return;let e=new Blob([this.statement.text],{type:"text/plain;charset=utf-8"}),t=document.createElement("a");t.href=URL.createObjectURL(e),t.download=`${this.page.room.name}_${this.statement.cycle}.txt`,t.click(),URL.revokeObjectURL(t.href)}async loadPayments(){this.error="";try{this.payments=await this.console.call("payments",{start:this.range.start,end:Ge(this.range.last)})}catch(e){this.error=await m(this.hass,e)}}async downloadPayments(){let e=`start=${this.range.start}&end=${Ge(this.range.last)}`,t=await this.hass.fetchWithAuth(`/api/prepaid_power/payments.csv?${e}`);if(!t.ok){this.error=(await t.json().catch(()=>({message:t.statusText}))).message;return}let r=document.createElement("a");r.href=URL.createObjectURL(await t.blob()),r.download=`payments_${this.range.start}_${this.range.last}.csv`,r.click(),URL.revokeObjectURL(r.href)}paymentsView(){let e=this.t,t=this.payments,r=(i,a)=>o`<label
        >${e(a)}
        <input
          type="date"
          name=${i}
          .value=${this.range[i]}
          @change=${l=>this.range={...this.range,[i]:l.target.value}}
      /></label>`;return o`<ha-card class="payments">
      <div class="toolbar">
        ${r("start","from_day")} ${r("last","to_day")}
        <button class="show" @click=${()=>{this.loadPayments()}}>${e("show")}</button>
        <button class="csv" @click=${()=>{this.downloadPayments()}}>${e("download_csv")}</button>
      </div>
      ${t?o`<table class="totals">
              <thead>
                <tr>
                  <th>${e("method")}</th>
                  <th class="num">${e("count")}</th>
                  <th class="num">${e("paid")}</th>
                  <th class="num">${e("undone_total")}</th>
                  <th class="num">${e("net")}</th>
                </tr>
              </thead>
              <tbody>
                ${Object.entries(t.totals).map(([i,a])=>o`<tr class="method ${i}">
                    <td>${e(`method_${i}`)}</td>
                    <td class="num">${a.count}</td>
                    <td class="num">${a.paid}</td>
                    <td class="num">${a.undone}</td>
                    <td class="num">${a.net} ${t.currency}</td>
                  </tr>`)}
              </tbody>
            </table>
            <table class="payment-list">
              <thead>
                <tr>
                  <th>${e("when")}</th>
                  <th>${e("room")}</th>
                  <th>${e("tenant")}</th>
                  <th>${e("method")}</th>
                  <th>${e("reference")}</th>
                  <th class="num">${e("amount")}</th>
                </tr>
              </thead>
              <tbody>
                ${t.payments.map(i=>o`<tr class="payment">
                    <td>${i.at.slice(0,16).replace("T"," ")}</td>
                    <td>${i.room}</td>
                    <td>${i.tenant}</td>
                    <td>${e(`method_${i.method}`)}</td>
                    <td>${i.reference??""}</td>
                    <td class="num">${i.amount}${i.undone_at?o` <i>(${e("undone")})</i>`:d}</td>
                  </tr>`)}
              </tbody>
            </table>`:d}
    </ha-card>`}supplyText(e){return fe(this.hass,e.supply_state)}age(e){if(!e.reading_at)return this.t("never");let t=Math.max(0,Math.round((this.now+this.skew-Date.parse(e.reading_at))/1e3));return t<120?this.t("ago_s",{n:t}):t<7200?this.t("ago_m",{n:Math.round(t/60)}):this.t("ago_h",{n:Math.round(t/3600)})}place(e){return[e.floor,e.area].filter(Boolean).join(" / ")}sorted(){let e=this.search.trim().toLowerCase(),t=[...this.rows.values()].filter(l=>!e||l.name.toLowerCase().includes(e)||(l.tenant??"").toLowerCase().includes(e)||this.place(l).toLowerCase().includes(e)),r=l=>l===null?-1/0:Number(l),i=l=>{switch(this.sortKey){case"place":return`${this.place(l)||"\uFFFF"}\0${l.name}`;case"tenant":return l.tenant??"\uFFFF";case"balance":return r(l.balance);case"supply":return l.supply_state??"";case"days":return r(l.days_of_credit_left);case"reading":return l.reading_at?Date.parse(l.reading_at):0;default:return l.name}},a=this.collator();return t.sort((l,c)=>{let p=i(l),h=i(c),u=typeof p=="number"&&typeof h=="number"?p-h:a.compare(String(p),String(h));return this.sortUp?u:-u}),t}collator(){let e=this.hass.language,t=this.collators.get(e);return t||(t=new Intl.Collator(e,{numeric:!0}),this.collators.set(e,t)),t}sortBy(e){this.sortUp=this.sortKey===e?!this.sortUp:!0,this.sortKey=e}header(e,t){let r=this.sortKey===e?this.sortUp?" \u25B2":" \u25BC":"";return o`<th class="sortable ${e}" @click=${()=>this.sortBy(e)}>${this.t(t)}${r}</th>`}alerts(e){return o`${e.alerts.map(t=>o`<span class="alert ${t}">${this.t(`alert_${t}`)}</span>`)}`}money(e,t){return e===null?"\u2013":`${e} ${t}`}linked(e){return[...this.rows.values()].filter(t=>t.payer===e.room_id)}linkedCounts(){let e=new Map;for(let t of this.rows.values())t.payer&&e.set(t.payer,(e.get(t.payer)??0)+1);return e}accountNote(e,t){if(e.payer){let i=this.rows.get(e.payer);return o` <small class="payer">→ ${i?.name??"?"}</small>`}let r=t.get(e.room_id)??0;return r?o` <small class="pays-for">${this.t("pays_for",{n:r+1})}</small>`:d}accountView(e){let t=this.t;if(e.payer){let a=this.rows.get(e.payer);return o`<ha-card class="account">
        <h3>${t("account")}</h3>
        <p class="billed-to">${t("billed_to",{name:a?.name??"?"})}</p>
        ${a?o`<button class="open-payer" @click=${()=>{this.open(a.device_id)}}>
              ${t("open_payer",{name:a.name})}
            </button>`:d}
      </ha-card>`}let r=this.linked(e);if(!r.length)return d;let i=[e,...r.sort((a,l)=>this.collator().compare(a.name,l.name))];return o`<ha-card class="account">
      <h3>${t("account")}</h3>
      <p>${t("account_meters")}</p>
      <table>
        <thead>
          <tr>
            <th>${t("room")}</th>
            <th class="num">${t("energy_cycle")}</th>
            <th class="num">${t("cost_cycle")}</th>
            <th>${t("supply")}</th>
          </tr>
        </thead>
        <tbody>
          ${i.map(a=>o`<tr class="meter" data-room=${a.name}>
              <td>
                ${a===e?a.name:o`<a href="#" @click=${l=>(l.preventDefault(),void this.open(a.device_id))}>${a.name}</a>`}
              </td>
              <td class="num">${a.energy_this_cycle_kwh??"\u2013"} kWh</td>
              <td class="num">${this.money(a.cost_this_cycle,a.currency)}</td>
              <td><span class="dot ${a.supply_on?"on":"off"}"></span>${this.supplyText(a)}</td>
            </tr>`)}
        </tbody>
      </table>
    </ha-card>`}roomsView(){let e=this.t,t=this.sorted(),r=this.linkedCounts(),i=null,a=this.sortKey==="place";return o`<ha-card>
      <div class="toolbar">
        <input
          class="search"
          type="search"
          placeholder=${e("search")}
          .value=${this.search}
          @input=${l=>this.search=l.target.value}
        />
        <span class="count">${t.length} / ${this.rows.size}</span>
      </div>
      <table class="rooms">
        <thead>
          <tr>
            ${this.header("name","room")} ${this.header("place","place")} ${this.header("tenant","tenant")}
            ${this.header("balance","balance")} ${this.header("supply","supply")} ${this.header("days","days_left")}
            ${this.header("reading","last_reading")}
            <th>${e("alerts")}</th>
          </tr>
        </thead>
        <tbody>
          ${t.map(l=>{let c=this.place(l)||e("no_group"),p=a&&c!==i?o`<tr class="group">
                    <td colspan="8">${c}</td>
                  </tr>`:d;return i=c,o`${p}
              <tr class="room" data-room=${l.name} @click=${()=>{this.open(l.device_id)}}>
                <td class="name">${l.name}${this.accountNote(l,r)}</td>
                <td class="place">${this.place(l)}</td>
                <td class="tenant">${l.tenant??o`<i>${e("vacant")}</i>`}</td>
                <td class="balance num">${this.money(l.balance,l.currency)}</td>
                <td class="supply state-${l.supply_state??"none"}">
                  <span class="dot ${l.supply_on?"on":"off"}"></span>${this.supplyText(l)}
                </td>
                <td class="days num">${l.days_of_credit_left??"\u2013"}</td>
                <td class="reading">${this.age(l)}</td>
                <td class="alerts">${this.alerts(l)}</td>
              </tr>`})}
        </tbody>
      </table>
    </ha-card>`}chart(e){let t=e.history.days,r=e.history.periods,i=600,a=160,l=Math.max(.001,...t.map(p=>Number(p.kwh))),c=i/t.length;return o`<svg class="chart" viewBox="0 0 ${i} ${a+20}" role="img" aria-label=${this.t("usage")}>
        ${t.map((p,h)=>{let u=a;return de`${r.map((_,$)=>{let k=Number(p.by_period[_]?.kwh??0),we=k/l*(a-10);return u-=we,k?de`<rect class="bar" x=${h*c+1} y=${u} width=${Math.max(c-2,1)} height=${we}
                  fill=${G[$%G.length]}><title>${p.date} ${_}: ${k} kWh, ${p.by_period[_]?.cost} ${e.room.currency}</title></rect>`:d})}`})}
        <text x="0" y=${a+16} class="axis">${t[0]?.date??""}</text>
        <text x=${i} y=${a+16} class="axis" text-anchor="end">${t[t.length-1]?.date??""}</text>
        <text x="0" y="10" class="axis">${l.toFixed(2)} kWh</text>
      </svg>
      <div class="legend">
        ${r.map((p,h)=>o`<span><i style="background:${G[h%G.length]}"></i>${p}</span>`)}
        <span class="total"
          >${t.reduce((p,h)=>p+Number(h.kwh),0).toFixed(3)} kWh ·
          ${t.reduce((p,h)=>p+Number(h.cost),0).toFixed(2)} ${e.room.currency}</span
        >
      </div>`}roomView(e){let t=this.t,r=e.room,i=e.ledger,a=r.tenant!==null,l=c=>c==="move_in"||c==="preset_vacant_energy"?!a:c==="set_tariff"||c==="set_supply"||a;return o`<div class="room-page">
      <button class="back" @click=${()=>(this.selected=null,this.page=null)}>← ${t("back")}</button>
      <ha-card class="summary">
        <h2>${r.name} <span class="sub">${this.place(r)}</span></h2>
        <div class="facts">
          <div><span>${t("tenant")}</span><b class="tenant">${r.tenant??t("vacant")}</b></div>
          <div><span>${t("balance")}</span><b class="balance">${this.money(r.balance,r.currency)}</b></div>
          <div>
            <span>${t("supply")}</span
            ><b class="supply"
              ><span class="dot ${r.supply_on?"on":"off"}"></span>${this.supplyText(r)}
              ${r.supply_detail?o`(${r.supply_detail})`:d}</b
            >
            <small class="relay">${r.supply_on?t("relay_on"):t("relay_off")}</small>
          </div>
          <div><span>${t("days_left")}</span><b>${r.days_of_credit_left??"\u2013"}</b></div>
          <div><span>${t("price")}</span><b class="price">${r.current_price??"\u2013"}</b></div>
          <div><span>${t("reading")}</span><b>${r.reading??"\u2013"} kWh</b> <small>${this.age(r)}</small></div>
          <div><span>${t("energy_cycle")}</span><b>${r.energy_this_cycle_kwh??"\u2013"} kWh</b></div>
        </div>
        <div class="alerts">${this.alerts(r)}</div>
        <div class="operations">
          ${Fe.filter(l).map(c=>o`<button class="op ${c}" @click=${()=>this.dialog=c}>${t(c)}</button>`)}
        </div>
      </ha-card>
      ${this.accountView(r)} ${Qe(t,e)}
      <prepaid-power-room-link .hass=${this.hass} .deviceId=${e.room.device_id}></prepaid-power-room-link>
      <ha-card class="usage">
        <h3>
          ${t("usage")}
          <span class="switch">
            ${[30,90].map(c=>o`<button
                class=${this.days===c?"active":""}
                @click=${()=>{this.days=c,this.load()}}
              >
                ${t(c===30?"days_30":"days_90")}
              </button>`)}
          </span>
        </h3>
        ${this.chart(e)}
      </ha-card>
      <ha-card class="ledger">
        <h3>${t("ledger")} <small>(${i.total})</small></h3>
        <table>
          <thead>
            <tr>
              <th>${t("when")}</th>
              <th>${t("kind")}</th>
              <th class="num">${t("amount")}</th>
              <th>${t("details")}</th>
            </tr>
          </thead>
          <tbody>
            ${i.entries.map(c=>o`<tr class="entry ${c.kind}" data-entry=${c.entry_id}>
                <td>${c.at.slice(0,16).replace("T"," ")}</td>
                <td>${t(`entry_${c.kind}`)}${c.reversed?o` <i>(${t("undone")})</i>`:d}</td>
                <td class="num">${c.amount}</td>
                <td class="details">
                  ${c.kwh?`${c.kwh} kWh ${c.period??""} @ ${c.price??""}`:""}
                  ${c.method?t(`method_${c.method}`):""} ${c.reference??""} ${c.why}
                </td>
              </tr>`)}
          </tbody>
        </table>
        <div class="pager">
          <button ?disabled=${i.offset===0} @click=${()=>{this.ledgerAt(i.offset-Ye)}}>
            ${t("newer")}
          </button>
          <span>${i.offset+1}–${i.offset+i.entries.length} / ${i.total}</span>
          <button
            ?disabled=${i.offset+i.entries.length>=i.total}
            @click=${()=>{this.ledgerAt(i.offset+i.entries.length)}}
          >
            ${t("older")}
          </button>
        </div>
      </ha-card>
      <ha-card class="statements">
        <h3>${t("statements")}</h3>
        ${e.statements.map(c=>o`<div class="statement-row">
            <span>${c.first_day} – ${c.last_day}</span>
            <button class="view" data-cycle=${c.cycle} @click=${()=>{this.showStatement(c.cycle)}}>
              ${t("view")}
            </button>
          </div>`)}
        ${this.statement?o`<div class="statement-view">
              <pre class="statement">${this.statement.text}</pre>
              <button @click=${()=>window.print()}>${t("print")}</button>
              <button @click=${()=>this.download()}>${t("download")}</button>
            </div>`:d}
      </ha-card>
    </div>`}render(){if(!this.hass)return d;let e=this.t;return this.hass.user&&!this.hass.user.is_admin?o`<p>${e("not_admin")}</p>`:o`<div class="header">
        <h1>${e("title")}</h1>
        <nav>
          ${["rooms","payments","report","dashboards"].map(t=>o`<button
              class="tab ${t} ${this.view===t?"active":""}"
              @click=${()=>{this.view=t,this.selected=null,this.page=null,t==="payments"&&!this.payments&&this.loadPayments()}}
            >
              ${e(t)}
            </button>`)}
        </nav>
      </div>
      ${this.error?o`<div class="error" role="alert" @click=${()=>this.error=""}>${this.error}</div>`:d}
      <div class="body">
        ${this.view==="payments"?this.paymentsView():this.view==="report"?o`<prepaid-power-reports .hass=${this.hass}></prepaid-power-reports>`:this.view==="dashboards"?o`<prepaid-power-dashboards .hass=${this.hass}></prepaid-power-dashboards>
              <prepaid-power-kiosks .hass=${this.hass} .rooms=${[...this.rows.values()]}></prepaid-power-kiosks>`:this.selected?this.page?this.roomView(this.page):o`<p>${e("loading")}</p>`:this.roomsView()}
      </div>
      ${this.dialog&&this.page?o`<prepaid-power-dialog
            .hass=${this.hass}
            .page=${this.page}
            .operation=${this.dialog}
            @closed=${()=>{this.dialog=null,this.load()}}
            @operated=${t=>{let r=new Map(this.rows);r.set(t.detail.room.room_id,t.detail.room),this.rows=r,this.page&&(this.page={...this.page,room:t.detail.room})}}
          ></prepaid-power-dialog>`:d}`}static{this.styles=[y,Q,f`
    :host {
      display: block;
      min-height: 100vh;
      background: var(--primary-background-color);
      color: var(--primary-text-color);
      font-family: var(--paper-font-body1_-_font-family, Roboto, sans-serif);
    }
    .header {
      display: flex;
      align-items: center;
      height: var(--header-height, 56px);
      padding: 0 16px;
      background: var(--app-header-background-color, var(--primary-color));
      color: var(--app-header-text-color, #fff);
    }
    h1 {
      font-size: 20px;
      font-weight: 400;
      margin: 0;
      flex: 1;
    }
    nav button.tab {
      background: transparent;
      color: inherit;
      border-color: transparent;
    }
    nav button.tab.active {
      border-bottom: 2px solid currentColor;
      border-radius: 0;
    }
    .body {
      padding: 12px;
      max-width: 1200px;
      margin: 0 auto;
    }
    ha-card {
      display: block;
      background: var(--card-background-color, #fff);
      border-radius: var(--ha-card-border-radius, 12px);
      box-shadow: var(--ha-card-box-shadow, none);
      border: 1px solid var(--divider-color, #e0e0e0);
      padding: 12px;
      margin-bottom: 12px;
      overflow-x: auto;
    }
    .toolbar {
      display: flex;
      gap: 8px;
      align-items: center;
      margin-bottom: 8px;
    }
    button.op {
      background: var(--primary-color, #03a9f4);
      color: var(--text-primary-color, #fff);
      border-color: transparent;
    }
    button.active {
      border-color: var(--primary-color);
      color: var(--primary-color);
    }
    .search {
      flex: 1;
      min-width: 0;
    }
    .count {
      color: var(--secondary-text-color);
      font-size: 0.9em;
    }
    th.sortable {
      cursor: pointer;
      user-select: none;
    }
    tr.room {
      cursor: pointer;
    }
    tr.room:hover {
      background: var(--secondary-background-color, #f5f5f5);
    }
    tr.group td {
      font-weight: 500;
      color: var(--secondary-text-color);
      background: var(--secondary-background-color, #f5f5f5);
    }
    .dot {
      display: inline-block;
      width: 8px;
      height: 8px;
      border-radius: 50%;
      margin-right: 6px;
      background: var(--disabled-text-color, #999);
    }
    .dot.on {
      background: var(--success-color, #43a047);
    }
    .alert {
      display: inline-block;
      font-size: 12px;
      padding: 1px 6px;
      margin-right: 4px;
      border-radius: 8px;
      background: var(--warning-color, #ffa600);
      color: #fff;
    }
    .alert.relay_fault,
    .alert.debt {
      background: var(--error-color, #db4437);
    }
    .error {
      color: var(--error-color, #db4437);
      padding: 8px 16px;
    }
    .summary h2 {
      margin: 0 0 8px;
    }
    .sub {
      font-size: 0.7em;
      color: var(--secondary-text-color);
    }
    .operations {
      display: flex;
      flex-wrap: wrap;
      gap: 6px;
      margin-top: 12px;
    }
    .back {
      margin-bottom: 8px;
    }
    .chart {
      width: 100%;
      height: auto;
    }
    .axis {
      font-size: 11px;
      fill: var(--secondary-text-color);
    }
    .legend {
      display: flex;
      gap: 12px;
      flex-wrap: wrap;
      font-size: 12px;
    }
    .legend i {
      display: inline-block;
      width: 10px;
      height: 10px;
      margin-right: 4px;
    }
    .legend .total {
      margin-left: auto;
    }
    .pager {
      display: flex;
      gap: 8px;
      align-items: center;
      justify-content: flex-end;
      margin-top: 8px;
    }
    .statement-row {
      display: flex;
      justify-content: space-between;
      align-items: center;
      padding: 4px 0;
    }
    pre.statement {
      white-space: pre-wrap;
      font-size: 12px;
      background: var(--secondary-background-color, #f5f5f5);
      padding: 8px;
      border-radius: 6px;
    }
    @media (max-width: 640px) {
      .body {
        padding: 6px;
      }
      th.place,
      td.place,
      th.days,
      td.days,
      th.reading,
      td.reading {
        display: none;
      }
      th,
      td {
        padding: 6px 4px;
      }
    }
    @media print {
      .header,
      .back,
      .operations,
      .usage,
      .ledger,
      button {
        display: none;
      }
      :host {
        background: #fff;
        color: #000;
      }
    }
  `]}};customElements.get("prepaid-power-panel")||customElements.define("prepaid-power-panel",be);export{be as PrepaidPowerPanel};
