"""Stacking check for CinC 2017 (see cinc2017-stack-dump.ts): 5-fold stratified CV, 5 shuffles, inside the dumped
records; logistic regression on the model's log-probabilities alone, on them plus the rhythm features, and on the
features alone. Prints the CinC F1 (mean F1 of N, A, O) as mean and sd over the shuffles.

    python3 scripts/experiments/cinc2017-stack-check.py OUT.json
"""
import sys
import json, numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.preprocessing import StandardScaler
from sklearn.pipeline import make_pipeline
r=json.load(open(sys.argv[1]))
C=['N','A','O','~']
y=np.array([x['label'] for x in r])
P=np.array([[x['probabilities'][c] for c in C] for x in r]); L=np.log(np.clip(P,1e-7,1))
def feat(x):
    rh=x['rhythm'] or {}
    f=x['feats'] or [np.nan]*8
    v=[rh.get('rrMeanMs'),rh.get('sdnnMs'),rh.get('rmssdMs'),rh.get('rrCv'),rh.get('rrSampleEntropy'),rh.get('pWaveRatio'),
       x['afMean'],x['afShare'],x['beats']/max(x['seconds'],1),x['qualityFlags'],float(x['noisy'])]+list(f)
    return [np.nan if a is None else a for a in v]
X=np.array([feat(x) for x in r],dtype=float)
miss=np.isnan(X); X=np.where(miss, np.nanmedian(X,0), X); X=np.hstack([X, miss.any(1,keepdims=True)])
def cinc_f1(t,p):
    f=[]
    for c in range(3):
        tp=((p==c)&(t==c)).sum(); f.append(2*tp/((p==c).sum()+(t==c).sum()))
    return np.mean(f)
print('model argmax', round(cinc_f1(y,P.argmax(1)),4))
for name,Z in [('logits only',L),('logits+features',np.hstack([L,X])),('features only',X)]:
  res=[]
  for seed in range(5):
    pred=np.zeros(len(y),int)
    for tr,te in StratifiedKFold(5,shuffle=True,random_state=seed).split(Z,y):
        m=make_pipeline(StandardScaler(),LogisticRegression(C=1.0,max_iter=2000,class_weight=None)).fit(Z[tr],y[tr])
        pred[te]=m.predict(Z[te])
    res.append(cinc_f1(y,pred))
  print(name, round(np.mean(res),4), round(np.std(res),4))
